"""A rule's own work is bounded: the time its queries and templates take, what it renders.

A rule pack is untrusted (docs/security.md): a template nested a million deep or a query over
a huge value must end that rule as an error, not hang or exhaust the run.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from analyzer.ruleparse import RuleTemplate

#: the longest message or remediation a rule may render
MAX_RENDERED = 20_000


def render_bounded(template: RuleTemplate, context: dict[str, Any]) -> str:
    """Render chunk by chunk so that a runaway template stops at MAX_RENDERED, not at OOM."""
    chunks, size = [], 0
    for chunk in template.generate(context):
        size += len(chunk)
        if size > MAX_RENDERED:
            raise RuleRunaway(f"its template renders more than {MAX_RENDERED} characters")
        chunks.append(chunk)
    return "".join(chunks).strip()


class RuleRunaway(Exception):
    """A rule that takes too long or renders too much."""


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Interrupt a rule's own work (queries, templates) after ``seconds``.

    A SIGALRM timer interrupts pure-Python loops such as a template nested a million deep;
    RE2 and the YAML parser are outside it (they are linear, and loading is not the rule's
    doing). Signals only reach the main thread, so elsewhere the budget is not enforced.
    """
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise RuleRunaway(f"it ran for more than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
