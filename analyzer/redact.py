"""Secrets out of reports: what a bundle can leak into evidence, replaced by [REDACTED].

support-bundle-kit masks the tokens it knows about (``token: '***'``), but logs and objects
carry others: bearer tokens in request logs, passwords in URLs, private keys and kubeconfig
certificate data pasted into configs, JWTs (service-account tokens), RKE2/K3s join tokens,
Rancher API tokens. Reports are attached to tickets, so everything taken from the bundle is
redacted by default (``--no-redact`` opts out) and the report says how many were.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from analyzer.report import Evidence, Report

REDACTED = "[REDACTED]"

_SECRET_KEYS = (
    r"password|passwd|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key|private[_-]?key"
    r"|client[_-]key[_-]data|client[_-]certificate[_-]data|certificate[_-]authority[_-]data"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # A private key: the header line and whatever base64 follows it on the line.
    (
        re.compile(
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----[A-Za-z0-9+/=\s\\n]*"
            r"(?:-----END [A-Z ]*PRIVATE KEY-----)?"
        ),
        "[REDACTED PRIVATE KEY]",
    ),
    (
        re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"),
        "[REDACTED JWT]",
    ),
    # RKE2/K3s secure join tokens: K10<ca hash>::<user>:<password>
    (re.compile(r"\bK10[0-9a-f]{32,}::[^\s:\"']+:[^\s\"',}]+"), "[REDACTED TOKEN]"),
    (re.compile(r"\btoken-[a-z0-9]{5}:[a-z0-9]{30,}"), "[REDACTED TOKEN]"),
    (re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]{8,}"), r"\1" + REDACTED),
    # user:password@ in a URL; the password may itself hold an @, so up to the last one.
    (re.compile(r"([a-z][a-z0-9+.-]*://)[^/\s:@\"']+:[^/\s\"']*@"), r"\1" + REDACTED + "@"),
    # key: value, key=value, "key": "value": unless masked already (*** by the collector), and
    # only values that look generated (a digit, a capital or a symbol), not prose ("token:
    # mismatch").
    (
        re.compile(
            rf"(?i)(\b(?:{_SECRET_KEYS})\\?[\"']?\s*[:=]\s*\\?[\"']?)"
            r"(?!\*+(?:[\"'\s,}]|$)|\[REDACTED)"
            r"(?-i:(?=[^\s\"'\\,}]*[0-9A-Z+/=_.-]))([^\s\"'\\,}]{4,})"
        ),
        r"\1" + REDACTED,
    ),
)


def redact(text: str) -> tuple[str, int]:
    """``text`` with secrets replaced, and how many were."""
    count = 0
    for pattern, replacement in _PATTERNS:
        text, found = pattern.subn(replacement, text)
        count += found
    return text, count


def redact_report(report: Report) -> Report:
    """The report with every string taken from the bundle redacted, and the count set."""
    total = 0

    def clean(text: str) -> str:
        nonlocal total
        cleaned, found = redact(text)
        total += found
        return cleaned

    findings = tuple(
        replace(
            finding,
            message=clean(finding.message),
            remediation=clean(finding.remediation),
            evidence=tuple(_evidence(e, clean) for e in finding.evidence),
        )
        for finding in report.findings
    )
    return replace(
        report,
        findings=findings,
        timeline=tuple(replace(t, text=clean(t.text)) for t in report.timeline),
        collect_next=tuple(
            replace(c, missing=tuple(clean(m) for m in c.missing)) for c in report.collect_next
        ),
        bundle=replace(report.bundle, notes=tuple(clean(n) for n in report.bundle.notes)),
        redactions=total,
    )


def _evidence(e: Evidence, clean: Callable[[str], str]) -> Evidence:
    """Evidence redacted, context lines included; the highlighted match follows the text."""
    excerpt = clean(e.excerpt)
    span = e.span
    if span is not None and excerpt != e.excerpt:
        # Find the (redacted) match again in the redacted line; no highlight if it is gone.
        matched = redact(e.excerpt[span[0] : span[1]])[0]
        start = excerpt.find(matched) if matched else -1
        span = (start, start + len(matched)) if start >= 0 else None
    return replace(
        e,
        excerpt=excerpt,
        span=span,
        before=tuple(clean(line) for line in e.before),
        after=tuple(clean(line) for line in e.after),
    )
