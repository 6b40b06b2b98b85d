"""The summary printed in a terminal, and the progress line shown while a bundle is read.

The summary is what an engineer reads first after ``bundle-analyzer analyze bundle.zip``: the
cluster, the root causes with the symptoms they explain, the next steps, what could not be
evaluated; the evidence and the full remediations are in the Markdown and HTML reports.
Colour (ANSI) only when asked for: the CLI asks when stdout is a terminal and
NO_COLOR is not set. Text taken from the bundle is stripped of control characters, so a log
line cannot move the cursor or recolour the terminal, and shows bidi controls as their code
points, so a right-to-left override cannot reorder what is read.
"""

from __future__ import annotations

import re
import sys
import textwrap
import time
from typing import Any, TextIO

from analyzer.render.escape import visible
from analyzer.render.summary import first_line, next_steps
from analyzer.render.upgradeview import node_line
from analyzer.report import VERSIONED, Finding, Report

#: ANSI SGR codes of the colours used (bright_white is 97, its background 107)
_COLOURS = {"red": 31, "yellow": 33, "blue": 34, "bright_white": 97}
#: severity -> style() arguments
_STYLES: dict[str, dict[str, Any]] = {
    "critical": {"fg": "bright_white", "bg": "red", "bold": True},
    "high": {"fg": "red", "bold": True},
    "medium": {"fg": "yellow", "bold": True},
    "low": {"fg": "blue"},
    "info": {"dim": True},
}
# C0 and C1 controls but tab, and DEL: what could drive a terminal
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def strip_controls(text: Any) -> str:
    """Text from a bundle made safe for a terminal: control characters gone, bidi and other
    invisible controls shown, one line."""
    return " ".join(visible(_CONTROL.sub(" ", str(text))).split())


def style(
    text: str,
    fg: str | None = None,
    bg: str | None = None,
    bold: bool = False,
    dim: bool = False,
    underline: bool = False,
) -> str:
    """``text`` in ANSI colours, as click.style writes them (the CLI alone imports click)."""
    codes = [_COLOURS[fg]] if fg else []
    codes += [_COLOURS[bg] + 10] if bg else []
    codes += [1] if bold else []
    codes += [2] if dim else []
    codes += [4] if underline else []
    return "".join(f"\x1b[{code}m" for code in codes) + text + "\x1b[0m"


class _Writer:
    def __init__(self, color: bool, width: int) -> None:
        self.color = color
        self.width = max(60, width)
        self.lines: list[str] = []

    def style(self, text: str, **how: Any) -> str:
        return style(text, **how) if self.color else text

    def badge(self, severity: str) -> str:
        return self.style(f"{severity.upper():<8}", **_STYLES.get(severity, {}))

    def item(self, text: str, lead: str, severity: str, indent: str) -> None:
        """Text after ``lead`` and a severity badge; wrapped by its visible width, so the
        colour codes do not change where lines break."""
        plain = f"{lead}{severity.upper():<8} "
        start = len(self.lines)
        self.wrap(text, indent, plain)
        self.lines[start] = lead + self.badge(severity) + " " + self.lines[start][len(plain) :]

    def heading(self, text: str) -> None:
        self.lines += ["", self.style(text, bold=True, underline=True)]

    def wrap(self, text: str, indent: str, first: str | None = None) -> None:
        self.lines += textwrap.wrap(
            strip_controls(text),
            self.width,
            initial_indent=first if first is not None else indent,
            subsequent_indent=indent,
            break_on_hyphens=False,
        ) or [first or indent]


def render_text(report: Report, color: bool = False, width: int = 100) -> str:
    """The terminal summary of ``report``."""
    out = _Writer(color, width)
    bundle = report.bundle
    by_id = {f.rule_id: f for f in report.findings}
    roots = [by_id[rc.rule_id] for rc in report.root_causes]
    fired = report.fired
    out.lines.append(out.style("bundle-analyzer", bold=True) + f"  {strip_controls(bundle.name)}")
    not_ready = [n.name for n in bundle.nodes if n.ready != "True"]
    nodes = f"{len(bundle.nodes)} node{'s' if len(bundle.nodes) != 1 else ''}, " + (
        f"{len(bundle.nodes) - len(not_ready)} Ready"
        + (f" ({', '.join(not_ready)} not)" if not_ready else "")
    )
    out.wrap(
        f"Harvester {bundle.shown_version('harvester')} · Kubernetes "
        f"{bundle.shown_version('kubernetes')} · Rancher {bundle.rancher_version or 'unknown'}"
        f" · {nodes} · created {bundle.created_at or 'unknown'}",
        "",
    )
    differs = []
    for node in bundle.nodes:
        versions = [
            f"{name} {node.version(product)}"
            for product, name in VERSIONED.items()
            if node.name in bundle.odd_nodes(product)
        ]
        if versions:
            differs.append(f"{node.name} ({', '.join(versions)})")
    if differs:
        out.wrap("Differs from most nodes: " + "; ".join(differs), "  ")
    if roots:
        out.heading(
            f"{len(fired)} finding{'s' if len(fired) != 1 else ''} from "
            f"{len(roots)} root cause{'s' if len(roots) != 1 else ''}"
        )
        for root in roots:
            _root(out, root, by_id)
    else:
        out.heading("No problem found")
        out.wrap(
            f"{report.rules_loaded} rules: "
            f"{sum(f.status == 'pass' for f in report.findings)} passed.",
            "  ",
        )
    progress = report.upgrade_progress
    if progress is not None:
        heading = f"Upgrade {progress.name} to {progress.version or '?'}: " + (
            progress.state or "state unknown"
        )
        out.heading(
            strip_controls(heading) + (f" (phase: {progress.phase})" if progress.phase else "")
        )
        # One line per node, cut to the width: the reports hold the rest.
        for node in progress.nodes:
            line = "  " + strip_controls(node_line(node))
            out.lines.append(line if len(line) <= out.width else line[: out.width - 1] + "…")
    steps = next_steps(report, roots)
    if steps:
        out.heading("Next steps")
        for number, step in enumerate(steps, 1):
            out.wrap(step, "     ", f"  {number}. ")
    unevaluated = [f for f in report.findings if f.status in ("skip", "error")]
    missing = [f for f in unevaluated if f.skip_kind != "not-applicable"]
    if missing:
        out.heading(f"Not evaluated: {len(missing)} rule{'s' if len(missing) != 1 else ''}")
        for f in missing:
            out.wrap(f"{f.rule_id}: {f.message}", "      ", "  - ")
    out.lines += [
        "",
        out.style(
            "Evidence, remediation and timeline: add -o report.html (or .md, .json).", dim=True
        ),
    ]
    return "\n".join(out.lines) + "\n"


def _root(out: _Writer, root: Finding, by_id: dict[str, Finding]) -> None:
    out.lines.append("")
    out.item(f"{strip_controls(root.title)}  [{root.rule_id}]", "  ", root.severity, " " * 11)
    out.wrap(first_line(root.message), " " * 11)
    if root.acknowledged is not None:
        out.wrap(f"acknowledged: {strip_controls(root.acknowledged)}", " " * 11)
    if root.evidence:
        more = root.evidence_total - 1
        out.wrap(
            f"at {root.evidence[0].location()}" + (f" (and {more} more)" if more else ""),
            " " * 11,
        )
    for index, rule_id in enumerate(root.explains):
        symptom = by_id[rule_id]
        branch = "└─" if index == len(root.explains) - 1 else "├─"
        lead = f"{' ' * 11}{branch} "
        out.item(f"{strip_controls(symptom.title)}  [{rule_id}]", lead, symptom.severity, " " * 23)


class TerminalProgress:
    """A one-line progress display on a terminal (stderr): the stage, bytes scanned, the
    time so far. Silent for the first ``delay`` seconds, so a small bundle shows nothing;
    redrawn at most ten times a second; erased by ``close()``."""

    def __init__(self, stream: TextIO | None = None, delay: float = 0.5) -> None:
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.delay = delay
        self._drawn = 0.0
        self._shown = False

    def __call__(self, stage: str, done: int | None = None, total: int | None = None) -> None:
        now = time.monotonic()
        if now - self.started < self.delay or now - self._drawn < 0.1:
            return
        self._drawn = now
        amount = f" {done / 2**20:,.0f} of {total / 2**20:,.0f} MB" if total else ""
        line = f"bundle-analyzer: {stage}{amount} · {now - self.started:.1f} s"
        self.stream.write("\r\x1b[2K" + line)
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
