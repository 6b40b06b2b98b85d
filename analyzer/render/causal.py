"""The causal chain of one root cause, drawn as a small inline SVG for the HTML report.

The boxes are the root cause and the findings it explains; the arrows are the rules'
``explains`` edges between them (a finding's ``explained_by`` names its direct causes). The
layout is layered, left to right: a finding sits one column right of its furthest cause, and
within a column findings keep the report's order (most severe first), so the drawing is the
same on every run. Everything written into the SVG is escaped: rule ids and titles come from
rule packs, which are untrusted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from markupsafe import Markup

from analyzer.render.escape import html_escape as escape
from analyzer.report import Finding

BOX_W, BOX_H = 210, 46  # BOX_W is the narrowest box; a longer rule id widens them all
GAP_X, GAP_Y = 56, 14
PAD = 4
#: the advance of one character of the 12px monospace font the stylesheet sets (about 0.6em),
#: rounded up so a rule id never reaches the box's edge
CHAR_W = 7.5
TEXT_X = 10  # the text's inset from the box's left edge, kept on the right too


def layers(
    root: Finding, by_id: Mapping[str, Finding]
) -> tuple[list[list[str]], list[tuple[str, str]]]:
    """Columns of rule ids (the root alone in the first) and the edges (cause, symptom)."""
    members = [root.rule_id, *root.explains]
    inside = set(members)
    edges = [
        (cause, symptom)
        for symptom in root.explains
        for cause in by_id[symptom].explained_by
        if cause in inside
    ]
    depth = {root.rule_id: 0}
    # Longest path from the root: relax the edges as often as there are members (a DAG needs
    # no more; a cycle, which the rule loader refuses, would merely stop growing here).
    for _ in members:
        changed = False
        for cause, symptom in edges:
            if cause in depth and depth.get(symptom, -1) < depth[cause] + 1 <= len(members):
                depth[symptom] = depth[cause] + 1
                changed = True
        if not changed:
            break
    columns: list[list[str]] = []
    for rule_id in members:
        column = depth.get(rule_id, 1)
        while len(columns) <= column:
            columns.append([])
        columns[column].append(rule_id)
    return [c for c in columns if c], edges


def causal_svg(root: Finding, by_id: Mapping[str, Finding]) -> Markup:
    """An SVG of ``root`` and the findings it explains; empty when it explains none."""
    if not root.explains:
        return Markup("")
    columns, edges = layers(root, by_id)
    # Sized to the longest line it holds: a rule id cut short could not be told from another.
    lines = [rule_id for ids in columns for rule_id in ids]
    lines.append(f"{root.severity.upper()} · root cause")
    box_w = max(BOX_W, math.ceil(2 * TEXT_X + CHAR_W * max(map(len, lines))))
    where: dict[str, tuple[int, int]] = {}
    for col, ids in enumerate(columns):
        for row, rule_id in enumerate(ids):
            where[rule_id] = (PAD + col * (box_w + GAP_X), PAD + row * (BOX_H + GAP_Y))
    width = PAD * 2 + len(columns) * box_w + (len(columns) - 1) * GAP_X
    height = PAD * 2 + max(len(ids) for ids in columns) * (BOX_H + GAP_Y) - GAP_Y
    marker = f"arrow-{root.rule_id}"
    parts = [
        f'<svg class="causal" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(root.title)}: what it explains</title>",
        f'<defs><marker id="{escape(marker)}" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>',
    ]
    for cause, symptom in edges:
        (x1, y1), (x2, y2) = where[cause], where[symptom]
        x1, y1, y2 = x1 + box_w, y1 + BOX_H // 2, y2 + BOX_H // 2
        bend = (x2 - x1) // 2
        parts.append(
            f'<path class="edge" d="M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}" '
            f'marker-end="url(#{escape(marker)})"/>'
        )
    for rule_id, (x, y) in where.items():
        finding = by_id[rule_id]
        parts.append(
            f'<a href="#{escape(rule_id)}" class="node sev-{escape(finding.severity)}">'
            f"<title>{escape(finding.title)}</title>"
            f'<rect x="{x}" y="{y}" width="{box_w}" height="{BOX_H}" rx="5"/>'
            f'<text x="{x + TEXT_X}" y="{y + 18}" class="sev">{escape(finding.severity.upper())}'
            f"{' · root cause' if rule_id == root.rule_id else ''}</text>"
            f'<text x="{x + TEXT_X}" y="{y + 36}" class="id">{escape(rule_id)}</text></a>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
