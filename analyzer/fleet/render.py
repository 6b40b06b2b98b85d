"""The fleet report as Markdown, self-contained HTML (charts as inline SVG) or JSON.

The HTML follows the analysis report's rules: no resource from outside, one stylesheet allowed
by its hash in the Content-Security-Policy, no script at all; every value autoescaped (paths
and error texts come from the archive). The Markdown escapes by default like the report's.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict
from typing import Any

import jinja2
from markupsafe import Markup, escape

from analyzer.errors import AnalyzerError
from analyzer.fleet.summary import FleetSummary
from analyzer.render import pinned
from analyzer.render.escape import visible
from analyzer.render.markdown import markdown_environment

FLEET_FORMATS = ("md", "html", "json")
_BAR_HEIGHT = 18
_LABEL_WIDTH = 300
_CHART_WIDTH = 760


def render_fleet(summary: FleetSummary, fmt: str) -> str:
    """The report in ``fmt`` (md, html or json)."""
    if fmt == "json":
        return json.dumps(asdict(summary), indent=2, sort_keys=True, allow_nan=False) + "\n"
    if fmt == "md":
        return _environment("md").get_template("fleet.md.j2").render(s=summary)
    if fmt == "html":
        style, style_hash = _style()
        return (
            _environment("html")
            .get_template("fleet.html.j2")
            .render(
                s=summary,
                style=style,
                style_hash=style_hash,
                prevalence_chart=bar_chart(
                    [
                        (p.rule_id, p.share, f"{p.bundles} ({p.share * 100:.1f}%)")
                        for p in summary.prevalence
                    ],
                    "Share of bundles with each root cause",
                ),
                month_chart=bar_chart(
                    [
                        (month, n / max(summary.months.values()), str(n))
                        for month, n in summary.months.items()
                    ],
                    "Bundles analyzed per month of creation",
                ),
            )
        )
    raise AnalyzerError(f"fleet report writes {', '.join(FLEET_FORMATS)}, not {fmt}")


def render_page(template: str, **values: Any) -> str:
    """An HTML page of the fleet commands: autoescaped, its one stylesheet allowed by hash."""
    style, style_hash = _style()
    page = _environment("html").get_template(template)
    return page.render(style=style, style_hash=style_hash, **values)


@functools.cache
def _environment(kind: str) -> jinja2.Environment:
    loader = jinja2.PackageLoader("analyzer", "fleet/templates")
    if kind == "md":
        return markdown_environment(loader)
    return jinja2.Environment(
        loader=loader,
        autoescape=True,
        # bidi and control characters shown as code points before escaping, as in the report
        finalize=lambda v: v if isinstance(v, Markup) else visible(v),
        undefined=jinja2.StrictUndefined,
    )


@functools.cache
def _style() -> tuple[Markup, str]:
    env = _environment("html")
    assert env.loader is not None
    return pinned(env.loader.get_source(env, "fleet.css")[0])


def bar_chart(rows: list[tuple[str, float, str]], title: str) -> Markup:
    """A horizontal bar chart: (label, fraction 0..1, value text) per row, as inline SVG."""
    if not rows:
        return Markup("")
    height = _BAR_HEIGHT * len(rows) + 30
    span = _CHART_WIDTH - _LABEL_WIDTH - 90
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{_CHART_WIDTH}" '
        f'height="{height}" viewBox="0 0 {_CHART_WIDTH} {height}">',
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, fraction, value) in enumerate(rows):
        y = 10 + index * _BAR_HEIGHT
        width = max(1, round(span * min(max(fraction, 0.0), 1.0)))
        parts += [
            f'<text x="{_LABEL_WIDTH - 6}" y="{y + 13}" text-anchor="end">'
            f"{escape(visible(_shorten(label)))}</text>",
            f'<rect class="bar" x="{_LABEL_WIDTH}" y="{y + 2}" width="{width}" '
            f'height="{_BAR_HEIGHT - 5}"><title>{escape(visible(label))}: '
            f"{escape(value)}</title></rect>",
            f'<text x="{_LABEL_WIDTH + width + 6}" y="{y + 13}">{escape(value)}</text>',
        ]
    parts.append(
        f'<line class="axis" x1="{_LABEL_WIDTH}" y1="6" x2="{_LABEL_WIDTH}" y2="{height - 18}"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def _shorten(label: str, limit: int = 44) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
