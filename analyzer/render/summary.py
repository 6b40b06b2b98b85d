"""The case summary's parts shared by the Markdown report and the terminal summary."""

from __future__ import annotations

from typing import Any

from analyzer.render.prose import prose_blocks
from analyzer.report import Finding, Report


def first_line(text: Any) -> str:
    """The first sentence of the first paragraph, on one line; when it introduces commands
    (ends with ":" before a fenced block), the commands follow it as code spans."""
    blocks = prose_blocks(str(text))
    if not blocks:
        return ""
    if blocks[0].kind == "code":
        return _commands(blocks[0].text)
    paragraph = blocks[0].text
    end = paragraph.find(". ")
    sentence = paragraph[: end + 1] if end > 0 else paragraph
    if sentence.endswith(":") and len(blocks) > 1 and blocks[1].kind == "code":
        sentence += " " + _commands(blocks[1].text)
    return sentence


def _commands(code: str) -> str:
    return "; ".join(f"`{line.strip()}`" for line in code.splitlines() if line.strip())


def next_steps(report: Report, roots: list[Finding]) -> list[str]:
    """At most three things to do, most important first, one line each: the first root
    cause's remediation, the upgrade that fixes findings, the second root cause's, what to
    collect. The full remediations follow in the report."""
    upgrade = report.upgrade
    upgrade_step = (
        f"Upgrade to {upgrade.product} {upgrade.version}, which fixes {', '.join(upgrade.fixes)}."
        if upgrade
        else None
    )
    steps: list[str] = []
    for f in roots[:2]:
        if upgrade_step and upgrade and f.rule_id in upgrade.fixes:
            step = upgrade_step  # the upgrade is this root cause's remedy: say it once
        else:
            step = f"{first_line(f.remediation)} ({f.rule_id})"
        if step not in steps:
            steps.append(step)
    if upgrade_step and upgrade_step not in steps:
        steps.insert(1, upgrade_step)
    if report.collect_next:
        hint, gaps = report.collect_next[0], len(report.collect_next) - 1
        more = f" ({gaps} more gap{'s' if gaps > 1 else ''} below)" if gaps else ""
        steps.append(f"Collect what is missing: {first_line(hint.how)}{more}")
    return steps[:3]
