"""Secrets out of reports: every string a report takes from the bundle goes through the finder
(analyzer/secrets.py), evidence as one window of lines, and the report counts what it hid."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from analyzer.report import BundleInfo, Evidence, Report, UpgradeProgress
from analyzer.secrets import REDACTED, redact, redact_lines

__all__ = ["REDACTED", "redact", "redact_lines", "redact_report"]


def redact_report(report: Report) -> Report:
    """The report with every string taken from the bundle redacted, and the count set."""
    total = 0

    def clean(text: str) -> str:
        nonlocal total
        cleaned, found = redact(text)
        total += found
        return cleaned

    def maybe(text: str | None) -> str | None:
        return None if text is None else clean(text)

    findings = tuple(
        replace(
            finding,
            message=clean(finding.message),
            remediation=clean(finding.remediation),
            evidence=tuple(_evidence(e, clean) for e in finding.evidence),
            collect=maybe(finding.collect),
        )
        for finding in report.findings
    )
    return replace(
        report,
        findings=findings,
        timeline=tuple(
            replace(t, text=clean(t.text), origin=clean(t.origin), path=clean(t.path))
            for t in report.timeline
        ),
        collect_next=tuple(
            replace(c, missing=tuple(clean(m) for m in c.missing), how=clean(c.how))
            for c in report.collect_next
        ),
        bundle=_bundle(report.bundle, clean, maybe),
        upgrade_progress=_progress(report.upgrade_progress, clean, maybe),
        redactions=total,
    )


def _progress(
    progress: UpgradeProgress | None,
    clean: Callable[[str], str],
    maybe: Callable[[str | None], str | None],
) -> UpgradeProgress | None:
    """The upgrade view: names, states and messages all come from the bundle."""
    if progress is None:
        return None
    return replace(
        progress,
        name=clean(progress.name),
        version=maybe(progress.version),
        previous_version=maybe(progress.previous_version),
        state=maybe(progress.state),
        nodes=tuple(
            replace(
                n,
                node=clean(n.node),
                state=maybe(n.state),
                message=maybe(n.message),
                job=maybe(n.job),
                job_type=maybe(n.job_type),
                pod=maybe(n.pod),
                log=maybe(n.log),
            )
            for n in progress.nodes
        ),
    )


def _bundle(
    info: BundleInfo, clean: Callable[[str], str], maybe: Callable[[str | None], str | None]
) -> BundleInfo:
    """The cluster's identity: names, versions and notes all come from the bundle."""
    return replace(
        info,
        name=clean(info.name),
        created_at=maybe(info.created_at),
        kubernetes_version=maybe(info.kubernetes_version),
        harvester_version=maybe(info.harvester_version),
        rancher_version=maybe(info.rancher_version),
        nodes=tuple(
            replace(
                node,
                name=clean(node.name),
                ready=maybe(node.ready),
                kubelet_version=maybe(node.kubelet_version),
                os_image=maybe(node.os_image),
                harvester_version=maybe(node.harvester_version),
                roles=tuple(clean(r) for r in node.roles),
            )
            for node in info.nodes
        ),
        notes=tuple(clean(n) for n in info.notes),
    )


def _evidence(e: Evidence, clean: Callable[[str], str]) -> Evidence:
    """Evidence redacted as one window (the lines before, the cited text, the lines after), so
    that a key spread over them goes; the highlighted match follows the text."""
    before = "\n".join(e.before) + "\n" if e.before else ""
    after = "\n" + "\n".join(e.after) if e.after else ""
    window = clean(before + e.excerpt + after).split("\n")
    # Every replacement keeps the line count, so the window splits back where it was joined.
    cut = len(e.before)
    cited = len(e.excerpt.split("\n"))
    excerpt = "\n".join(window[cut : cut + cited])
    span = e.span
    if span is not None and excerpt != e.excerpt:
        # Find the (redacted) match again in the redacted line; no highlight if it is gone.
        matched = redact(e.excerpt[span[0] : span[1]])[0]
        start = excerpt.find(matched) if matched else -1
        span = (start, start + len(matched)) if start >= 0 else None
    return replace(
        e,
        path=clean(e.path),
        excerpt=excerpt,
        span=span,
        before=tuple(window[:cut]),
        after=tuple(window[cut + cited :]),
    )
