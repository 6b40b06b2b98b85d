"""A stop signal that lands while a finalizer runs is not lost (Python drops what a
``__del__`` raises; CI once saw a SIGTERM mid-scan end in exit 0 that way)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import signal, time
from analyzer.entry import Interrupted, _stop, install

install()

class Finalized:
    def __del__(self):
        _stop(signal.SIGTERM, None)  # as if the signal arrived here

try:
    Finalized()
    for _ in range(1000):
        time.sleep(0.001)
    print("lost")
except Interrupted as stop:
    print("delivered", stop.signum)
"""


def test_a_stop_raised_in_a_finalizer_is_delivered_again() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True)
    assert done.stdout.strip() == f"delivered {int(__import__('signal').SIGTERM)}", done
    assert "Exception ignored" not in done.stderr
