"""The shape of rule files and test cases, declared once.

Each schema lists its fields: the name, whether it is required, what its value must look
like, and what it is for. The same declaration checks a file (unknown keys with a
suggestion, missing keys, values of the wrong shape, each reported under its breadcrumb such
as ``logs[0].min``) and writes the field tables of docs/rule-format.md, so the documented
format cannot drift from the one the loader accepts. What a shape cannot say (a jmespath
expression compiles, a regex is valid RE2, a template uses known names) is checked by the
rule parser, analyzer/ruleparse.py, once the shape is known to be right.

Modelled on pre-commit's cfgv schemas: declare once, validate with breadcrumbs.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from analyzer.report import SEVERITIES, SKIP_KINDS
from analyzer.rulefacts import parse_duration
from analyzer.sources import LOG_SOURCES
from analyzer.sources.kind import PRODUCTS

VERSIONED = ("harvester", "kubernetes", "rancher")
EXPECT = ("fired", "pass", "skip", "error")

#: reports one problem: (breadcrumb, message)
AddProblem = Callable[[str, str], None]


def suggest(name: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or nothing."""
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


@dataclass(frozen=True)
class Shape:
    """What a value must look like: ``label`` for the docs, ``problem`` (``{value}`` is the
    value found) when ``accepts`` refuses it."""

    label: str
    accepts: Callable[[Any], bool]
    problem: str

    def check(self, value: Any) -> str | None:
        return None if self.accepts(value) else self.problem.format(value=value)


def one_of(choices: Iterable[str]) -> Shape:
    allowed = tuple(choices)
    listed = ", ".join(allowed)
    return Shape(
        " \\| ".join(f"`{c}`" for c in allowed),
        lambda v: v in allowed,
        f"'{{value}}' is not one of {listed}",
    )


#: a test case's ``expect``; schema 1's fail and warn said how severe a fired finding was,
#: which is the rule's severity, so the problem says what to write instead
EXPECT_SHAPE = Shape(
    " \\| ".join(f"`{c}`" for c in EXPECT),
    lambda v: v in EXPECT,
    "'{value}' is not one of " + ", ".join(EXPECT) + " (for fail or warn, write 'fired': "
    "the rule's severity says how bad it is)",
)


def _text_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(i, str) for i in value)


TEXT = Shape("text", lambda v: isinstance(v, str), "must be text")
JMESPATH = Shape("jmespath", lambda v: isinstance(v, str), "must be a jmespath expression (text)")
TEMPLATE = Shape("Jinja template", lambda v: isinstance(v, str), "must be text")
# A condition's structure (all/any/not) is checked by the parser, which gives each node its
# own breadcrumb (when.all[1].not).
CONDITION = Shape(
    "jmespath, or `all`/`any`/`not` of conditions",
    lambda v: v is not None,
    "must be a jmespath expression or one of all/any/not",
)


def list_of(what: str) -> Shape:
    return Shape(f"list of {what}", lambda v: isinstance(v, list), "must be a list")


NAMES = Shape("list of names", _text_list, "must be a list of names")
TEXTS = Shape("list of texts", _text_list, "must be a list of texts")
GLOBS = Shape(
    "glob or list of globs",
    lambda v: isinstance(v, str) or (bool(v) and _text_list(v)),
    "must be a glob or a list of globs",
)
MAPPING = Shape("mapping", lambda v: isinstance(v, dict), "must be a mapping")
MIN_COUNT = Shape(
    "whole number >= 1",
    lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1,
    "must be a whole number >= 1",
)
FLAG = Shape("true \\| false", lambda v: isinstance(v, bool), "must be true or false")
DURATION = Shape(
    "duration: `30m`, `24h`, `7d`",
    lambda v: parse_duration(v) is not None,
    "'{value}' is not a duration (a whole number and m, h or d: 30m, 24h, 7d)",
)
SOURCE_NAMES = Shape(
    "name or list of names",
    lambda v: isinstance(v, str) or (bool(v) and _text_list(v)),
    "must be a log source or a list of them",
)
FILES = Shape(
    "glob, list of globs, or mapping of source: globs",
    lambda v: GLOBS.accepts(v) or (isinstance(v, dict) and bool(v)),
    "must be a glob, a list of globs, or a mapping of source: globs",
)
FACTS = Shape(
    "mapping of name: jmespath or fact (below)",
    lambda v: isinstance(v, dict),
    "must be a mapping of name: jmespath or fact",
)


@dataclass(frozen=True)
class Field:
    name: str
    shape: Shape
    doc: str
    required: bool = False


@dataclass(frozen=True)
class Schema:
    """The fields of one mapping; ``title`` heads its table in the docs."""

    title: str
    fields: tuple[Field, ...]

    def check(self, data: dict[str, Any], prefix: str, add: AddProblem) -> set[str]:
        """Report unknown keys, missing required ones and values of the wrong shape under
        ``prefix`` (``""`` or ``logs[0].``); the fields with a problem are returned so that
        the parser treats them as absent (an unknown key is reported and otherwise ignored).
        An optional key set to null is as good as absent (YAML writes ``key:`` with no value
        that way): no problem, and callers skip it."""
        known = {f.name: f for f in self.fields}
        bad: set[str] = set()
        for key in data:
            if key not in known:
                add(f"{prefix}{key}", f"unknown key{suggest(str(key), known)}")
        for name, spec in known.items():
            if name not in data:
                if spec.required:
                    add(f"{prefix}{name}", "is required")
                    bad.add(name)
                continue
            value = data[name]
            if value is None and not spec.required:
                continue
            problem = spec.shape.check(value)
            if problem:
                add(f"{prefix}{name}", problem)
                bad.add(name)
        return bad


RULE = Schema(
    "A rule file",
    (
        Field("id", TEXT, "Lower-case letters, digits and dashes; must equal the file name.", True),
        Field("title", TEXT, "One line, shown in every report.", True),
        Field("severity", one_of(SEVERITIES), "How bad it is when the rule fires.", True),
        Field("description", TEXT, "What the rule detects and how, for rule authors.", True),
        Field(
            "applies_to",
            Shape(
                "mapping of product: version range",
                lambda v: isinstance(v, dict),
                "must be a mapping of harvester/kubernetes/rancher",
            ),
            'Version gates (`harvester`, `kubernetes`, `rancher`: `">=1.32, <1.34"`); '
            "outside them the rule is skipped as not applicable.",
        ),
        Field(
            "products",
            Shape(
                "list of " + ", ".join(f"`{p}`" for p in PRODUCTS),
                lambda v: _text_list(v) and bool(v) and set(v) <= set(PRODUCTS),
                "must be a list of " + ", ".join(PRODUCTS),
            ),
            "What the bundle must hold for the rule to run (all of them); default: by the "
            "rule's folder (harvester/, kubevirt/, longhorn/, rke2/, rancher/ and fleet/ need "
            "their product, bundle/ a support-bundle-kit bundle, others none). Elsewhere the "
            "rule is skipped as not applicable to this kind of bundle.",
        ),
        Field(
            "fixed_in",
            Shape(
                "mapping of product: version",
                lambda v: isinstance(v, dict),
                "must be a mapping of harvester/kubernetes/rancher",
            ),
            "The release that fixes the problem, for the upgrade advice.",
        ),
        Field(
            "requires",
            Shape(
                "mapping (below)",
                lambda v: isinstance(v, dict),
                "must be a mapping with rules, sources, optional",
            ),
            "Rules that must fire first, and sources beyond those the queries name.",
        ),
        Field(
            "logs",
            list_of("log matchers"),
            "Log matchers (below); each becomes a fact named by its `name`.",
        ),
        Field(
            "uses",
            NAMES,
            "Shared facts of the pack (`_facts.yaml`) the rule reads, evaluated before its own.",
        ),
        Field(
            "facts",
            FACTS,
            "Named jmespath queries, evaluated in order; a fact may use the earlier ones.",
        ),
        Field("when", CONDITION, "The condition: the rule fires when it holds.", True),
        Field(
            "evidence",
            list_of("jmespath"),
            "jmespath queries whose values are cited (default: what the true leaves read).",
        ),
        Field(
            "explains", list_of("rule ids"), "Ids of the rules this one causes (the causal graph)."
        ),
        Field("message", TEMPLATE, "What was found, over the facts and sources.", True),
        Field("remediation", TEMPLATE, "What to do about it.", True),
        Field("references", list_of("links"), "Links: issues, KEPs, documentation."),
        Field(
            "collect",
            FLAG,
            "What the rule finds is a gap in the bundle: when it fires, its message and "
            "remediation are listed under what to collect next.",
        ),
    ),
)

REQUIRES = Schema(
    "`requires`",
    (
        Field("rules", NAMES, "Rule ids evaluated before this one; it runs only if they fired."),
        Field("sources", NAMES, "Sources the rule needs beyond those its queries name."),
        Field("optional", NAMES, "Sources that may be absent (then read as null)."),
    ),
)

LOG_MATCHER = Schema(
    "A log matcher (`logs[]`)",
    (
        Field("name", TEXT, "The fact it becomes (lower_case_with_underscores).", True),
        Field(
            "source",
            SOURCE_NAMES,
            "A log source, or a list of them read as one: "
            + ", ".join(f"`{s}`" for s in LOG_SOURCES)
            + ".",
            True,
        ),
        Field(
            "files",
            FILES,
            "Globs over the logical file names (below), of every source; or per source.",
            True,
        ),
        Field("pattern", TEXT, "RE2 regex matched against each line; named groups kept.", True),
        Field("exclude", TEXT, "RE2 regex: lines that match it are skipped."),
        Field("min", MIN_COUNT, "Fewer matching lines than this count as none (default 1)."),
        Field("optional", FLAG, "No matching file is not a reason to skip (default false)."),
        Field(
            "within",
            DURATION,
            "Only lines less than this before the bundle was made count (undated lines do).",
        ),
    ),
)

FACT = Schema(
    "A fact with a window (`facts.<name>`, or a shared fact in `_facts.yaml`)",
    (
        Field("query", JMESPATH, "The jmespath query; its value should be a list.", True),
        Field(
            "within",
            DURATION,
            "Keep the items dated less than this before the bundle was made (undated: kept).",
        ),
        Field("time", JMESPATH, "Where each item's time is, a query over it (default `time`)."),
    ),
)

CASE = Schema(
    "A test case (`cases[]`)",
    (
        Field("name", TEXT, "Unique within the file; the case is `<rule-id>::<name>`.", True),
        Field(
            "fixture", TEXT, "The fixture bundle it starts from (`fixtures/bundles/<name>`).", True
        ),
        Field("expect", EXPECT_SHAPE, "The rule's outcome (its severity is the rule's own).", True),
        Field("files", MAPPING, "path: content to write; a list becomes a `kind: List` dump."),
        Field("append", MAPPING, "path: lines to add to a log."),
        Field("add_items", MAPPING, "path: objects to add to a List dump."),
        Field("set", list_of("field edits"), "Field edits (below)."),
        Field("remove", TEXTS, "Paths to delete."),
        Field("message_contains", TEXTS, "Texts the message must hold (whitespace collapsed)."),
        Field("evidence_contains", TEXTS, "Texts some evidence (location and excerpt) must hold."),
        Field("root_cause", FLAG, "Whether the rule is a root cause of the report."),
        Field("explained_by", list_of("rule ids"), "The rules the finding is folded under."),
        Field(
            "skip_kind",
            one_of(SKIP_KINDS),
            "Why it skipped.",
        ),
    ),
)

CASE_SET = Schema(
    "A field edit (`set[]`)",
    (
        Field("file", TEXT, "A List dump of the bundle.", True),
        Field("name", TEXT, "The `metadata.name` of the object to change.", True),
        Field(
            "path",
            TEXT,
            "Dotted path; `[2]` indexes a list, `[type=Ready]` selects an item by field.",
            True,
        ),
        Field("value", Shape("any", lambda v: True, ""), "The new value.", True),
    ),
)

SCHEMAS = (RULE, REQUIRES, LOG_MATCHER, FACT, CASE, CASE_SET)

FIELDS_BEGIN = "<!-- fields:begin -->"
FIELDS_END = "<!-- fields:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def field_tables() -> str:
    """The tables of docs/rule-format.md between the fields markers."""
    lines = [
        "Generated from analyzer/ruleschema.py by `bundle-analyzer rules docs`; do not edit "
        "by hand. A field marked * is required.",
    ]
    for schema in SCHEMAS:
        lines += ["", f"**{schema.title}**", "", "| field | value | what |", "|---|---|---|"]
        for f in schema.fields:
            star = " *" if f.required else ""
            lines.append(f"| `{f.name}`{star} | {f.shape.label} | {_cell(f.doc)} |")
    return "\n".join(lines) + "\n"


def between_markers(document: str, begin: str, end: str, body: str) -> str:
    """``document`` with what stands between the markers ``begin`` and ``end`` replaced by
    ``body`` (the generated parts of docs/rule-format.md); ValueError naming the markers if
    either is missing."""
    head, found, rest = document.partition(begin)
    _, closed, tail = rest.partition(end)
    if not (found and closed):
        raise ValueError(f"the markers {begin} ... {end} are missing")
    return f"{head}{begin}\n{body.rstrip(chr(10))}\n{end}{tail}"


def with_field_tables(document: str) -> str:
    """``document`` (docs/rule-format.md) with the part between the fields markers
    regenerated; ValueError if the markers are missing."""
    return between_markers(document, FIELDS_BEGIN, FIELDS_END, field_tables())
