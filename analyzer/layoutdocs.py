"""The "Bundle kinds" tables of docs/rule-format.md, made from the layout declarations
(analyzer/sources/layouts.py) so that the documentation cannot drift from what is read."""

from __future__ import annotations

import re

from analyzer.bundle import kinds
from analyzer.render.markdown import md_cell, md_code_span
from analyzer.ruleschema import between_markers
from analyzer.sources.layout import Layout
from analyzer.sources.layouts import LAYOUTS

LAYOUTS_MARKERS = ("<!-- layouts:begin -->", "<!-- layouts:end -->")
#: how each kind is told apart (analyzer/bundle/kinds.py), for the table
DETECTED_BY = {
    kinds.HARVESTER: "metadata.yaml or yamls/, with Harvester's namespace or objects",
    kinds.LONGHORN: "metadata.yaml or yamls/, longhorn-system and no Harvester namespace",
    kinds.LONGHORN_LEGACY: "yamls/kubernetes/ or yamls/longhorn/",
    kinds.TROUBLESHOOT: "version.yaml or cluster-resources/",
    kinds.LOGS_COLLECTOR: "systeminfo/ or journald/",
}
_GROUP = re.compile(r"\((?:\?P<(?P<name>\w+)>|\?:)?(?P<body>[^()]*)\)")


def readable(pattern: str) -> str:
    """A path regex as people read it: ``(?P<ns>[^/]+)`` is ``<ns>``, ``(?:json|yaml)`` is
    ``{json,yaml}``, ``\\.`` is ``.``."""

    def group(match: re.Match[str]) -> str:
        body = match["body"]
        if re.fullmatch(r"[a-z0-9.-]+(\|[a-z0-9.-]+)+", body):
            return "{" + body.replace("|", ",") + "}"
        return f"<{match['name'] or '…'}>"

    return _GROUP.sub(group, pattern).replace("\\.", ".")


def _rows(layout: Layout) -> list[tuple[str, str]]:
    rows = []
    for files in layout.objects:
        where = readable(files.pattern)
        extra = []
        if files.namespace:
            extra.append(f"namespace {files.namespace}")
        if files.group:
            extra.append(f"group {files.group}")
        suffix = f" ({', '.join(extra)})" if extra else ""
        rows.append(("objects", f"{md_code_span(where)}{suffix}"))
    if layout.kinds:
        renames = ", ".join(
            f"{name} = {group + '/' if group else ''}{plural}"
            for name, (group, plural) in sorted(layout.kinds.items())
        )
        rows.append(("kinds", md_cell(renames)))
    for label, names, prefix in (
        ("pod_logs", layout.pod_log_names, layout.pod_logs),
        ("node_logs", layout.node_log_names, layout.node_logs),
    ):
        for regex, name in names:
            named = re.sub(r"\\g<(\w+)>", r"<\1>", name)
            rows.append((label, f"{md_code_span(readable(regex))} as {md_code_span(named)}"))
        if not names and (label == "pod_logs" or layout.nodes):
            where = prefix if label == "pod_logs" else f"{layout.nodes}/<node>[.zip]/{prefix}"
            rows.append((label, f"{md_code_span(where + '…')} as named below it"))
    if layout.host_file:
        rows.append(("node", f"one, named by {md_code_span(layout.host_file)}"))
    for name, candidates in sorted(layout.files.items()):
        if candidates:
            rows.append((name, ", ".join(md_code_span(c) for c in candidates)))
    return rows


def layout_tables() -> str:
    """One table per bundle kind: how it is detected, where each logical source is read."""
    out = []
    for kind in kinds.KINDS:
        layout = LAYOUTS[kind]
        out += [
            f"### {kinds.DESCRIPTIONS[kind]} (`{kind}`)",
            "",
            f"Detected by {DETECTED_BY[kind]}."
            + (f" Lacks, compared with a Harvester bundle: {layout.lacks}." if layout.lacks else "")
            + (f" What to collect next says: {layout.collect}" if layout.collect else ""),
            "",
            "| logical source | read from |",
            "|---|---|",
            *(f"| `{source}` | {where} |" for source, where in _rows(layout)),
            "",
        ]
    return "\n".join(out).rstrip("\n")


def with_layout_tables(text: str) -> str:
    """``text`` (docs/rule-format.md) with the bundle kinds' tables made anew between markers."""
    return between_markers(text, *LAYOUTS_MARKERS, layout_tables())
