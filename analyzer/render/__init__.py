"""Reports for people and machines: ``render(report, "md" | "html" | "json")``.

JSON follows analyzer/render/report.schema.json (documented in docs/report-schema.md). Markdown
is written for tickets (GitHub, GitLab, Jira), HTML is one self-contained file. Both are
Jinja templates shipped as package data; everything taken from the bundle or a rule pack is
escaped for the format it lands in: HTML by autoescaping, Markdown by one function per context
(analyzer/render/markdown.py) with escaping as the default for a value no filter handled; in
both, bidi and control characters are shown as code points and links go to http(s) only
(analyzer/render/escape.py).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
from typing import Any

import jinja2
from markupsafe import Markup

from analyzer.formats import FORMATS
from analyzer.render.causal import causal_svg
from analyzer.render.escape import html_escape, link_target, visible
from analyzer.render.markdown import (
    markdown_environment,
    md_cell,
    md_code_span,
    md_context,
    md_link,
    md_prose,
    md_text,
)
from analyzer.render.prose import prose_blocks
from analyzer.render.summary import next_steps
from analyzer.render.terminal import render_text
from analyzer.render.upgradeview import lane as upgrade_lane
from analyzer.report import SEVERITIES, STATUSES, VERSIONED, Finding, Report

__all__ = [
    "FORMATS",
    "highlight",
    "html_text",
    "md_cell",
    "md_code_span",
    "md_context",
    "md_link",
    "md_prose",
    "md_text",
    "render",
    "to_dict",
]


def to_dict(report: Report) -> dict[str, Any]:
    """The JSON document: stable key order, lower-case severities and statuses."""
    counts = {status: 0 for status in STATUSES}
    for finding in report.findings:
        counts[finding.status] += 1
    by_id = {f.rule_id: f for f in report.findings}
    mixes = {product: report.bundle.version_mix(product) for product in VERSIONED}
    odd = {product: report.bundle.odd_nodes(product) for product in VERSIONED}
    return {
        "schema_version": report.schema_version,
        "tool": {"name": "bundle-analyzer", "version": report.tool_version},
        "generated_at": report.generated_at,
        "rules_loaded": report.rules_loaded,
        "rule_pack": {"name": report.rule_pack[0], "sha256": report.rule_pack[1]},
        "redactions": report.redactions,
        "bundle": {
            "path": report.bundle.name,
            "sha256": report.bundle.sha256,
            "created_at": report.bundle.created_at,
            "kubernetes_version": report.bundle.kubernetes_version,
            "harvester_version": report.bundle.harvester_version,
            "rancher_version": report.bundle.rancher_version,
            "nodes": [
                {
                    "name": n.name,
                    "ready": n.ready,
                    "kubelet_version": n.kubelet_version,
                    "os_image": n.os_image,
                    "roles": list(n.roles),
                    "has_node_zip": n.has_node_zip,
                    "harvester_version": n.harvester_version,
                    "odd_versions": [p for p in VERSIONED if n.name in odd[p]],
                }
                for n in report.bundle.nodes
            ],
            "mixed_versions": {
                product: [{"version": v, "nodes": list(names)} for v, names in mix]
                for product, mix in mixes.items()
                if len(mix) > 1
            },
            "notes": list(report.bundle.notes),
        },
        "summary": {"worst_severity": report.worst_severity(), "statuses": counts},
        "root_causes": [
            {
                "rule_id": rc.rule_id,
                "title": by_id[rc.rule_id].title,
                "severity": by_id[rc.rule_id].severity,
                "message": by_id[rc.rule_id].message,
                "explains": list(rc.explains),
            }
            for rc in report.root_causes
        ],
        "findings": [_finding_dict(f) for f in report.findings],
        "collect_next": [
            {"missing": list(c.missing), "how": c.how, "rule_ids": list(c.rule_ids)}
            for c in report.collect_next
        ],
        "upgrade": (
            {
                "product": report.upgrade.product,
                "version": report.upgrade.version,
                "fixes": list(report.upgrade.fixes),
            }
            if report.upgrade
            else None
        ),
        "upgrade_progress": _progress_dict(report),
        **({"profile": report.profile} if report.profile is not None else {}),
        **({"acks": {"notes": list(report.ack_notes)}} if report.ack_notes is not None else {}),
        "timeline": [
            {
                "time": t.time,
                "origin": t.origin,
                "path": t.path,
                "line": t.line,
                "text": t.text,
                "rule_id": t.rule_id or None,
            }
            for t in report.timeline
        ],
    }


def _progress_dict(report: Report) -> dict[str, Any] | None:
    progress = report.upgrade_progress
    if progress is None:
        return None
    return {
        **{k: v for k, v in vars(progress).items() if k != "nodes"},
        "nodes": [vars(n).copy() for n in progress.nodes],
    }


def _finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "rule_id": finding.rule_id,
        "title": finding.title,
        "category": finding.category,
        "severity": finding.severity,
        "status": finding.status,
        "message": finding.message,
        "evidence": [
            {
                "path": e.path,
                "line": e.line,
                "excerpt": e.excerpt,
                "time": e.time,
                "match": list(e.span) if e.span else None,
                "context_before": list(e.before),
                "context_after": list(e.after),
            }
            for e in finding.evidence
        ],
        "evidence_total": finding.evidence_total,
        "remediation": finding.remediation,
        "references": list(finding.references),
        "skip_kind": finding.skip_kind,
        "collect": finding.collect,
        "explains": list(finding.explains),
        "explained_by": list(finding.explained_by),
        "fixed_in": finding.fixed_in,
        # Only where an --ack entry applies: reports without one stay as they were.
        **({"acknowledged": finding.acknowledged} if finding.acknowledged is not None else {}),
    }


# -- HTML ------------------------------------------------------------------------------------------
def html_text(text: Any) -> Markup:
    """Prose as HTML: escaped; a paragraph a ``<p>``, ``- `` items a list, `code spans` kept,
    and a fenced block a ``<pre><code>`` with a copy button (the script shows it)."""
    html = []
    for block in prose_blocks(str(text)):
        if block.kind == "code":
            html.append(
                f'<div class="code"><pre><code>{html_escape(block.text)}</code></pre>'
                '<button type="button" class="copy" hidden>Copy</button></div>'
            )
            continue
        inline = re.sub(r"`([^`]+)`", r"<code>\1</code>", str(html_escape(block.text)))
        if block.kind == "p":
            html.append(f"<p>{inline}</p>")
        elif html and html[-1].endswith("</ul>"):
            html[-1] = html[-1][: -len("</ul>")] + f"<li>{inline}</li></ul>"
        else:
            html.append(f"<ul><li>{inline}</li></ul>")
    return Markup("".join(html))


def highlight(text: Any, span: tuple[int, int] | None) -> Markup:
    """A log line, escaped, with what the rule's pattern matched in <mark>."""
    value = str(text)
    if not span or not 0 <= span[0] < span[1] <= len(value):
        return html_escape(value)
    start, end = span
    # Made visible piece by piece: the span counts the characters of the line as it was.
    return (
        html_escape(value[:start])
        + Markup("<mark>")
        + html_escape(value[start:end])
        + Markup("</mark>")
        + html_escape(value[end:])
    )


def pinned(source: str) -> tuple[Markup, str]:
    """An inline stylesheet or script and the CSP hash that allows exactly it."""
    digest = base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode()
    return Markup(source), f"sha256-{digest}"


@functools.cache
def _asset(name: str) -> tuple[Markup, str]:
    """A stylesheet or script inlined in the HTML report, and its CSP hash.

    The page allows exactly these two by hash ('unsafe-inline' nowhere): text injected from a
    bundle could not run even if it escaped the autoescaping."""
    env = _environment(False)
    assert env.loader is not None
    return pinned(env.loader.get_source(env, name)[0])


def _loader() -> jinja2.BaseLoader:
    return jinja2.PackageLoader("analyzer", "render/templates")


def _html_finalize(value: Any) -> Any:
    # Before autoescaping: bidi and control characters shown, whatever the template forgets.
    if isinstance(value, (Markup, jinja2.Undefined)):
        return value
    return visible(value)


def _environment(autoescape: bool) -> jinja2.Environment:
    """The HTML report's environment (autoescape=True), or a plain one to read assets."""
    if not autoescape:
        return jinja2.Environment(loader=_loader())
    env = jinja2.Environment(
        loader=_loader(),
        autoescape=True,
        finalize=_html_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        html_text=html_text, highlight=highlight, link_target=link_target, lane=upgrade_lane
    )
    return env


def _causes(report: Report, by_id: dict[str, Finding]) -> list[dict[str, Any]]:
    """Each root cause with its symptoms and graph; a finding folded under several root
    causes is anchored (``id``) at its first place only, so links land there."""
    anchored: set[str] = {rc.rule_id for rc in report.root_causes}
    causes = []
    for rc in report.root_causes:
        symptoms = []
        for rule_id in rc.explains:
            symptoms.append((by_id[rule_id], None if rule_id in anchored else rule_id))
            anchored.add(rule_id)
        root = by_id[rc.rule_id]
        causes.append({"root": root, "symptoms": symptoms, "graph": causal_svg(root, by_id)})
    return causes


def _context(report: Report) -> dict[str, Any]:
    by_id = {f.rule_id: f for f in report.findings}
    roots = [by_id[rc.rule_id] for rc in report.root_causes]
    return {
        "report": report,
        "next_steps": next_steps(report, roots),
        "not_ready": [n.name for n in report.bundle.nodes if n.ready != "True"],
        "bundle": report.bundle,
        "roots": roots,
        "by_id": by_id,
        "fired": report.fired,
        "skipped": [
            f for f in report.findings if f.status == "skip" and f.skip_kind != "not-applicable"
        ],
        "not_applicable": [f for f in report.findings if f.skip_kind == "not-applicable"],
        "errors": [f for f in report.findings if f.status == "error"],
        "passed": [f for f in report.findings if f.status == "pass"],
        "ready_nodes": sum(1 for n in report.bundle.nodes if n.ready == "True"),
        "odd": {product: report.bundle.odd_nodes(product) for product in VERSIONED},
        "severities": SEVERITIES,
    }


def _json_text(data: Any) -> str:
    """``json.dumps(data, indent=2)``, joined a batch at a time: dumps joins all its tiny
    chunks at once, and a report whose findings each explain thousands of others (a long
    chain of rules) had 25 million chunks alive, 1.6 GB, for a 230 MB text."""
    # Strict JSON: a NaN or Infinity that reached the report is a bug to surface, not a
    # token that other parsers refuse.
    encoder = json.JSONEncoder(indent=2, ensure_ascii=False, allow_nan=False)
    parts: list[str] = []
    batch: list[str] = []
    for chunk in encoder.iterencode(data):
        batch.append(chunk)
        if len(batch) == 65536:
            parts.append("".join(batch))
            batch.clear()
    parts.append("".join(batch))
    return "".join(parts)


def render(report: Report, fmt: str, *, color: bool = False, width: int = 100) -> str:
    """The report as text in one of FORMATS; ``color`` and ``width`` apply to "text"."""
    if fmt == "text":
        return render_text(report, color=color, width=width)
    if fmt == "json":
        return _json_text(to_dict(report)) + "\n"
    if fmt == "junit":
        from analyzer.render.junit import render_junit

        return render_junit(report)
    if fmt == "md":
        env = markdown_environment(_loader())
        return env.get_template("report.md.j2").render(_context(report))
    if fmt == "html":
        (style, style_hash), (script, script_hash) = _asset("report.css"), _asset("report.js")
        context = _context(report)
        return (
            _environment(True)
            .get_template("report.html.j2")
            .render(
                context,
                causes=_causes(report, context["by_id"]),
                style=style,
                style_hash=style_hash,
                script=script,
                script_hash=script_hash,
            )
        )
    raise ValueError(f"unknown format '{fmt}' (expected one of {', '.join(FORMATS)})")
