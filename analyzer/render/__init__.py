"""Reports for people and machines: ``render(report, "md" | "html" | "json")``.

JSON follows analyzer/render/report.schema.json (documented in docs/report-schema.md). Markdown
is written for tickets (GitHub, GitLab, Jira), HTML is one self-contained file. Both are
Jinja templates shipped as package data; everything taken from the bundle is escaped for the
format it lands in (HTML autoescaping; in Markdown, table cells, code spans and raw HTML).
"""

from __future__ import annotations

import json
import re
from typing import Any

import jinja2
from markupsafe import Markup, escape

from analyzer.report import SEVERITIES, STATUSES, Finding, Report

FORMATS = ("md", "html", "json")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)


def to_dict(report: Report) -> dict[str, Any]:
    """The JSON document: stable key order, lower-case severities and statuses."""
    counts = {status: 0 for status in STATUSES}
    for finding in report.findings:
        counts[finding.status] += 1
    by_id = {f.rule_id: f for f in report.findings}
    return {
        "schema_version": report.schema_version,
        "tool": {"name": "bundle-analyzer", "version": report.tool_version},
        "generated_at": report.generated_at,
        "rules_loaded": report.rules_loaded,
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
                }
                for n in report.bundle.nodes
            ],
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
        **({"profile": report.profile} if report.profile is not None else {}),
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


def _finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "rule_id": finding.rule_id,
        "title": finding.title,
        "category": finding.category,
        "severity": finding.severity,
        "status": finding.status,
        "message": finding.message,
        "evidence": [
            {"path": e.path, "line": e.line, "excerpt": e.excerpt, "time": e.time}
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
    }


# -- Markdown escaping ---------------------------------------------------------------------------
def md_code(text: Any) -> str:
    """An inline code span that survives backticks and pipes in ``text``."""
    value = " ".join(str(text).split())
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or longest else ""
    # A pipe ends a table cell even inside a code span in GitHub's tables.
    return f"{fence}{pad}{value.replace('|', '¦')}{pad}{fence}"


def md_text(text: Any) -> str:
    """Prose as Markdown: raw HTML neutralised outside code spans, code spans kept."""
    out, last = [], 0
    value = str(text)
    for match in _CODE_SPAN.finditer(value):
        out.append(_md_escape(value[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_md_escape(value[last:]))
    return "".join(out)


_HTML_START = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_QUOTE_START = re.compile(r"^(\s*)>", re.MULTILINE)


def _md_escape(text: str) -> str:
    # Only what a Markdown viewer would act on: the start of an HTML tag (<name>), an entity,
    # a blockquote marker. "<1.5.0" or ">= 1.32" stay readable as typed, in Jira too.
    text = _ENTITY.sub("&amp;", text)
    text = _HTML_START.sub("&lt;", text)
    return _QUOTE_START.sub(r"\1\\>", text)


def md_cell(text: Any) -> str:
    """A table cell: one line, pipes escaped."""
    return md_text(" ".join(str(text).split())).replace("|", "\\|")


def oneline(text: Any) -> str:
    """Text on one line: for list items that would otherwise wrap in raw Markdown."""
    return " ".join(str(text).split())


def first_line(text: Any) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines()]
    paragraph = []
    for line in lines:
        if not line:
            break
        paragraph.append(line)
    sentence = " ".join(paragraph)
    end = sentence.find(". ")
    return sentence[: end + 1] if end > 0 else sentence


# -- HTML ------------------------------------------------------------------------------------------
def html_text(text: Any) -> Markup:
    """Prose as HTML: escaped; paragraphs, ``- `` lists and `code spans` kept."""
    escaped = str(escape(str(text).strip()))
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    blocks: list[tuple[str, list[str]]] = []  # ("p" | "ul", lines), in order
    for paragraph in re.split(r"\n\s*\n", escaped):
        for line in paragraph.strip().splitlines():
            kind, content = ("ul", line[2:]) if line.startswith("- ") else ("p", line)
            if blocks and blocks[-1][0] == kind:
                blocks[-1][1].append(content)
            else:
                blocks.append((kind, [content]))
        blocks.append(("break", []))
    html = []
    for kind, lines in blocks:
        if kind == "p":
            html.append(f"<p>{' '.join(lines)}</p>")
        elif kind == "ul":
            html.append("<ul>" + "".join(f"<li>{line}</li>" for line in lines) + "</ul>")
    return Markup("".join(html))


def _environment(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("analyzer", "render/templates"),
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        oneline=oneline,
        md_code=md_code,
        md_text=md_text,
        md_cell=md_cell,
        first_line=first_line,
        html_text=html_text,
    )
    return env


def _context(report: Report) -> dict[str, Any]:
    by_id = {f.rule_id: f for f in report.findings}
    return {
        "report": report,
        "bundle": report.bundle,
        "roots": [by_id[rc.rule_id] for rc in report.root_causes],
        "by_id": by_id,
        "fired": report.fired,
        "skipped": [
            f for f in report.findings if f.status == "skip" and f.skip_kind != "not-applicable"
        ],
        "not_applicable": [f for f in report.findings if f.skip_kind == "not-applicable"],
        "errors": [f for f in report.findings if f.status == "error"],
        "passed": [f for f in report.findings if f.status == "pass"],
        "ready_nodes": sum(1 for n in report.bundle.nodes if n.ready == "True"),
        "severities": SEVERITIES,
    }


def render(report: Report, fmt: str) -> str:
    """The report as text in one of FORMATS."""
    if fmt == "json":
        return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"
    if fmt == "md":
        return _environment(False).get_template("report.md.j2").render(_context(report))
    if fmt == "html":
        return _environment(True).get_template("report.html.j2").render(_context(report))
    raise ValueError(f"unknown format '{fmt}' (expected one of {', '.join(FORMATS)})")
