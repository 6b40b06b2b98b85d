"""The console script's entry point: signal handlers first, the heavy imports after.

Ctrl-C, SIGTERM and SIGHUP all end the run the same way: an ``Interrupted`` exception
unwinds the stack, so every ``with`` and ``finally`` on the way runs (the private temporary
folder is removed, the log-scanning helpers are stopped), then one line on stderr and the
shell's exit code for a signal, 128 + its number: 130 for SIGINT, 143 for SIGTERM, 129 for
SIGHUP. The handlers are installed before the CLI and its dependencies are imported (which
takes a noticeable fraction of a second), so an interrupt during the imports ends the same
way, not in a traceback. This module imports nothing heavy: ``analyzer/__init__.py`` loads
its names lazily for that reason.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from types import FrameType
from typing import Any

#: the signals that stop a run, and the names the message gives them
HANDLED = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated"}
if hasattr(signal, "SIGHUP"):  # not on Windows
    HANDLED[signal.SIGHUP] = "hung up"


class Interrupted(BaseException):
    """A signal asked the run to stop. A BaseException, so that ``except Exception`` (one
    broken rule is an error outcome, not the end of the run) does not swallow it, and not
    a KeyboardInterrupt, which click would turn into its own two-line "Aborted!"."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def message(self) -> str:
        return f"bundle-analyzer: {HANDLED.get(self.signum, 'stopped')} (signal {self.signum})"


def _stop(signum: int, frame: FrameType | None) -> None:
    # Later signals are ignored: the first one's cleanup (removing the temporary folder,
    # stopping the helpers) must not itself be cut short.
    for other in HANDLED:
        signal.signal(other, signal.SIG_IGN)
    raise Interrupted(signum)


_default_unraisable = sys.unraisablehook


def _swallowed(unraisable: Any) -> None:
    """A finalizer (``__del__``) was running when the signal came, and Python prints and drops
    what a finalizer raises: the run would go on as if nothing happened (seen in CI, a
    multiprocessing connection's ``__del__`` mid-scan). The signal is delivered again, to the
    code that runs next."""
    stop = unraisable.exc_value
    if isinstance(stop, Interrupted):
        signal.signal(stop.signum, _stop)
        # From another thread and a moment later: sent from here, the handler would run at
        # once, inside this hook, and be dropped again.
        later = threading.Timer(0.05, os.kill, (os.getpid(), stop.signum))
        later.daemon = True
        later.start()
        return
    _default_unraisable(unraisable)


def install() -> None:
    """Make SIGINT, SIGTERM and SIGHUP raise ``Interrupted`` in the main thread."""
    for signum in HANDLED:
        # A signal ignored by whoever started us (nohup, a background job) stays ignored.
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, _stop)
    sys.unraisablehook = _swallowed


def main(argv: list[str] | None = None) -> int:
    """Run the CLI with the signal handlers in place; the exit code."""
    install()
    try:
        from analyzer.cli import main as cli_main

        return cli_main(argv)
    except (Interrupted, KeyboardInterrupt) as exc:
        stop = exc if isinstance(exc, Interrupted) else Interrupted(signal.SIGINT)
        # stdout may be a closed pipe by now; the message and the code are what matter.
        with contextlib.suppress(OSError):
            print(stop.message, file=sys.stderr, flush=True)
        return stop.exit_code


def run() -> None:
    """``python -m analyzer`` and the ``bundle-analyzer`` script."""
    sys.exit(main())
