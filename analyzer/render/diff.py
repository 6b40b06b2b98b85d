"""The diff document (analyzer/diff.py) as Markdown, HTML or JSON.

Markdown and HTML are built from the same sections (a title, column headers, rows), each
cell escaped for its format by the report's own functions (``md_cell``, ``html_escape``), so a
bundle's text can neither format a ticket nor inject markup. The HTML is one file under the
report's Content-Security-Policy: the report's stylesheet by hash, no script at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from analyzer.render import _asset, _json_text
from analyzer.render.escape import html_escape
from analyzer.render.markdown import md_cell, md_code_span, md_text

#: rows shown per section (all of them are in the JSON)
MAX_ROWS = 100
DIFF_FORMATS = ("md", "html", "json")


@dataclass
class Section:
    title: str
    headers: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)


def _first_line(text: Any) -> str:
    lines = str(text or "").strip().splitlines()
    return lines[0] + (" …" if len(lines) > 1 else "") if lines else ""


def _finding_sections(doc: dict[str, Any]) -> list[Section]:
    found = doc["findings"]
    plain = ("rule", "severity", "title", "message")
    sections = [
        Section(
            f"{name.capitalize()} findings",
            plain,
            [
                (f["rule_id"], f["severity"], f["title"], _first_line(f["message"]))
                for f in found[name]
            ],
        )
        for name in ("new", "resolved", "persisting")
    ]
    sections.append(
        Section(
            "Changed findings",
            ("rule", "severity", "message before", "message after", "objects gone", "objects new"),
            [
                (
                    f["rule_id"],
                    f"{f['old']['severity']} → {f['new']['severity']}",
                    _first_line(f["old"]["message"]),
                    _first_line(f["new"]["message"]),
                    ", ".join(f["objects_gone"]),
                    ", ".join(f["objects_new"]),
                )
                for f in found["changed"]
            ],
        )
    )
    sections.append(
        Section(
            "Not comparable (could not be evaluated in one bundle)",
            ("rule", "old", "new", "why"),
            [
                (f["rule_id"], f["old_status"], f["new_status"], _first_line(f["reason"]))
                for f in found["not_comparable"]
            ],
        )
    )
    return sections


def _object_rows(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    rows = []
    for change in doc["objects"]:
        for what in ("added", "removed", "recreated", "status_changed"):
            rows += [(change["kind"], name, what.replace("_", " ")) for name in change[what]]
        rows += [
            (change["kind"], s["name"], "spec changed: " + ", ".join(s["fields"]))
            for s in change["spec_changed"]
        ]
    return rows


def sections(doc: dict[str, Any]) -> list[Section]:
    """What the diff shows, in order; a section with no row is left out."""
    nodes = doc["nodes"]
    all_sections = [
        Section(
            "Root causes",
            ("before", "after"),
            [
                (
                    ", ".join(doc["root_causes"]["old"]) or "none",
                    ", ".join(doc["root_causes"]["new"]) or "none",
                )
            ]
            if doc["root_causes"]["changed"]
            else [],
        ),
        *_finding_sections(doc),
        Section(
            "Versions",
            ("product", "before", "after"),
            [(v["product"], v["old"], v["new"]) for v in doc["versions"]],
        ),
        Section(
            "Nodes",
            ("node", "change", "before", "after"),
            [(n, "added", "", "") for n in nodes["added"]]
            + [(n, "removed", "", "") for n in nodes["removed"]]
            + [(r["node"], "Ready", r["old"], r["new"]) for r in nodes["readiness"]]
            + [(v["node"], v["product"], v["old"], v["new"]) for v in nodes["versions"]],
        ),
        Section(
            "Settings",
            ("setting", "before", "after"),
            [(s["name"], s["old"], s["new"]) for s in doc["settings"]],
        ),
        Section("Objects", ("kind", "object", "change"), _object_rows(doc)),
        Section(
            "Restart counts that grew",
            ("container", "before", "after"),
            [(r["container"], r["old"], r["new"]) for r in doc["restarts"]],
        ),
        Section(
            "Log error signatures (lines the rules match)",
            ("rule", "before", "after"),
            [(s["name"], s["old"] or 0, s["new"] or 0) for s in doc["log_signatures"]],
        ),
    ]
    return [s for s in all_sections if s.rows]


def _summary(doc: dict[str, Any]) -> str:
    if doc["unchanged"]:
        return "Nothing changed between the two bundles."
    counts = ", ".join(f"{len(doc['findings'][k])} {k.replace('_', ' ')}" for k in doc["findings"])
    return f"Findings: {counts}."


def _identity_rows(doc: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    keys = (
        "path",
        "created_at",
        "namespace_uuid",
        "harvester_version",
        "kubernetes_version",
        "rancher_version",
        "nodes",
        "sha256",
    )
    return [(key.replace("_", " "), doc["old"][key], doc["new"][key]) for key in keys]


def render_markdown(doc: dict[str, Any]) -> str:
    out = [f"# Bundle diff: {md_text(doc['old']['path'])} → {md_text(doc['new']['path'])}", ""]
    out += [f"> **Warning:** {md_text(w)}" for w in doc["warnings"]]
    out += ["", md_text(_summary(doc)), "", "| | old | new |", "|---|---|---|"]
    out += [f"| {k} | {md_cell(a)} | {md_cell(b)} |" for k, a, b in _identity_rows(doc)]
    for section in sections(doc):
        out += ["", f"## {section.title}", ""]
        out.append("| " + " | ".join(section.headers) + " |")
        out.append("|" + "---|" * len(section.headers))
        for row in section.rows[:MAX_ROWS]:
            cells = [md_cell("" if c is None else c) for c in row]
            out.append("| " + " | ".join(cells) + " |")
        if len(section.rows) > MAX_ROWS:
            out.append(f"\n… and {len(section.rows) - MAX_ROWS} more (all in `-f json`)")
    notes = [(side, n) for side in ("old", "new") for n in doc[side]["notes"]]
    if notes:
        out += ["", "## Collection notes", ""]
        out += [f"- {side}: {md_code_span(n)}" for side, n in notes]
    out += [
        "",
        "---",
        f"<sub>bundle-analyzer {md_text(doc['tool']['version'])} · "
        f"generated {md_text(doc['generated_at'])}</sub>",
        "",
    ]
    return "\n".join(out)


def _html_table(headers: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    head = "".join(f"<th>{html_escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html_escape('' if c is None else c)}</td>" for c in row) + "</tr>\n"
        for row in rows[:MAX_ROWS]
    )
    more = (
        f"<p>… and {len(rows) - MAX_ROWS} more (all in the JSON)</p>"
        if len(rows) > MAX_ROWS
        else ""
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>{more}\n"


def render_html(doc: dict[str, Any]) -> str:
    style, style_hash = _asset("report.css")
    title = html_escape(f"Bundle diff: {doc['old']['path']} → {doc['new']['path']}")
    parts = [
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        f"style-src '{style_hash}'; base-uri 'none'; form-action 'none'\">\n"
        f'<meta name="referrer" content="no-referrer">\n<title>{title}</title>\n'
        f"<style>{style}</style>\n</head>\n<body>\n<header>\n<h1>{title}</h1>\n"
    ]
    parts += [
        f'<p class="warning"><strong>Warning:</strong> {html_escape(w)}</p>\n'
        for w in doc["warnings"]
    ]
    parts.append(f'<p class="verdict">{html_escape(_summary(doc))}</p>\n')
    parts.append(_html_table(("", "old", "new"), _identity_rows(doc)) + "</header>\n<main>\n")
    for section in sections(doc):
        parts.append(
            f"<h2>{html_escape(section.title)}</h2>\n" + _html_table(section.headers, section.rows)
        )
    notes = [(side, n) for side in ("old", "new") for n in doc[side]["notes"]]
    if notes:
        parts.append("<h2>Collection notes</h2>\n" + _html_table(("bundle", "note"), notes))
    parts.append(
        f"</main>\n<footer><p>bundle-analyzer {html_escape(doc['tool']['version'])} · "
        f"generated {html_escape(doc['generated_at'])}</p></footer>\n</body>\n</html>\n"
    )
    return "".join(parts)


def render_diff(doc: dict[str, Any], fmt: str) -> str:
    """The diff in one of DIFF_FORMATS."""
    if fmt == "json":
        return _json_text(doc) + "\n"
    if fmt == "md":
        return render_markdown(doc)
    if fmt == "html":
        return render_html(doc)
    raise ValueError(f"diff writes {', '.join(DIFF_FORMATS)}, not {fmt}")
