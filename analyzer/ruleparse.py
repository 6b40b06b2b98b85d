"""One rule file's data made into a Rule, every problem recorded with its breadcrumb.

The shape of the data (keys, required fields, types) is checked by the schemas of
analyzer/ruleschema.py; this module checks what only the meaning can tell: jmespath that does
not compile or calls an unknown function, names that are neither a source nor a fact, regexes
that do not compile, templates that do not parse or use unknown names, versions and ranges.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta

from analyzer.query import Query, QueryError, compile_query
from analyzer.rulefacts import Fact, SharedFact, Window, cycles, expand, parse_duration
from analyzer.rulelogs import LogMatcher, parse_log_matcher
from analyzer.ruleschema import FACT, LOG_MATCHER, REQUIRES, RULE, VERSIONED, suggest
from analyzer.sandbox import make_environment
from analyzer.sources import KIND_KEY, LOG_SOURCES, SOURCES
from analyzer.versions import VersionRange, parse_version

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
#: names every template may use besides the rule's facts and the sources
TEMPLATE_NAMES = frozenset({"versions", "metadata", "rule", "version_cmp", "age_hours"})


TEMPLATES = make_environment()


@dataclass(frozen=True)
class Condition:
    """A node of the ``when`` tree: all/any/not over jmespath leaves."""

    op: str  # "all", "any", "not" or "query"
    where: str  # the breadcrumb, e.g. "when.all[1]"
    children: tuple[Condition, ...] = ()
    query: Query | None = None


class RuleTemplate:
    """A rule's message or remediation: checked when loaded, compiled when first rendered.
    Few rules fire in a run, and compiling every template was half of loading the pack."""

    def __init__(self, tree: jinja2.nodes.Template) -> None:
        self._tree = tree
        self._compiled: jinja2.Template | None = None

    def generate(self, context: dict[str, Any]) -> Iterator[str]:
        if self._compiled is None:
            self._compiled = TEMPLATES.from_string(self._tree)
        return self._compiled.generate(context)


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: str
    category: str
    description: str
    path: str  # as shown in messages: rules/<category>/<id>.yaml
    file: Path  # where it was read from
    pack: Path  # the rule pack it came from (its test cases are read within it)
    when: Condition
    message: RuleTemplate
    remediation: RuleTemplate
    applies_to: dict[str, VersionRange] = field(default_factory=dict)
    fixed_in: dict[str, str] = field(default_factory=dict)
    products: tuple[str, ...] = ()  # what the bundle must hold (analyzer.applicability)
    #: what it finds is a gap in the bundle: when it fires, its message and remediation are
    #: listed under "what to collect next"
    collect: bool = False
    requires: tuple[str, ...] = ()
    #: sources that must be present, and those read as null when absent
    sources: frozenset[str] = frozenset()
    optional_sources: frozenset[str] = frozenset()
    object_kinds: frozenset[str] = frozenset()
    #: the shared facts it names in ``uses``
    uses: tuple[str, ...] = ()
    #: the shared facts it uses (those they need first), then its own, in evaluation order
    facts: tuple[Fact, ...] = ()
    logs: tuple[LogMatcher, ...] = ()
    evidence: tuple[Query, ...] = ()
    explains: tuple[str, ...] = ()
    references: tuple[str, ...] = ()

    def needs(self) -> frozenset[str]:
        """Every source this rule reads, present or optional."""
        return self.sources | self.optional_sources


class Problems:
    """Collects ``file -> field: message`` lines while one rule file is checked."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lines: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.lines.append(
            f"{self.path} -> {where}: {message}" if where else f"{self.path}: {message}"
        )


class QueryChecker:
    """Compiles the queries of one file, recording every problem with its breadcrumb, and
    what they read; a query may name the sources and ``fact_names``."""

    def __init__(self, path: str) -> None:
        self.problems = Problems(path)
        self.fact_names: list[str] = []
        self.names_read: set[str] = set()
        self.kinds_read: set[str] = set()

    def fact(self, name: str, value: Any, where: str) -> Fact | None:
        """A fact: a jmespath query, or a mapping with the query and a window."""
        if not isinstance(value, dict):
            query = self.query(value, where)
            return Fact(name, query) if query else None
        if FACT.check(value, f"{where}.", self.problems.add):
            return None
        query = self.query(value["query"], f"{where}.query")
        span = parse_duration(value.get("within"))
        if "time" in value and span is None:
            self.problems.add(f"{where}.time", "needs within")
        try:
            time = compile_query(value.get("time") or "time")
        except QueryError as exc:
            self.problems.add(f"{where}.time", str(exc))
            return None
        if query is None:
            return None
        return Fact(name, query, Window(value["within"], span) if span else None, time)

    def query(self, text: Any, where: str) -> Query | None:
        if not isinstance(text, str):
            self.problems.add(where, "must be a jmespath expression (text)")
            return None
        try:
            query = compile_query(text)
        except QueryError as exc:
            self.problems.add(where, str(exc))
            return None
        known = set(SOURCES) | set(self.fact_names)
        for name in sorted(query.names - known):
            self.problems.add(
                where,
                f"unknown name '{name}' (not a source or an earlier fact){suggest(name, known)}",
            )
        for kind in sorted(query.object_kinds):
            if not KIND_KEY.match(kind):
                self.problems.add(where, f"'{kind}' is not a kind (<group>/<plural>[@<namespace>])")
        self.names_read |= query.names
        self.kinds_read |= query.object_kinds
        return query


class RuleParser(QueryChecker):
    """Turns one rule file's data into a Rule, recording every problem it finds."""

    def __init__(
        self,
        data: dict,
        path: str,
        file: Path,
        stem: str,
        category: str,
        pack: Path,
        shared: dict[str, SharedFact] | None = None,
    ) -> None:
        super().__init__(path)
        # Values of the wrong shape were reported by the schema; read as absent from here on.
        unusable = RULE.check(data, "", self.problems.add)
        self.data = {k: v for k, v in data.items() if k not in unusable and v is not None}
        self.file = file
        self.pack = pack
        self.path = path
        self.stem = stem
        self.category = category
        #: the pack's shared facts, by name (``uses``)
        self.shared = shared or {}

    def parse(self) -> Rule | None:
        data, problems = self.data, self.problems
        rule_id = data.get("id")
        if rule_id is not None and rule_id != self.stem:
            problems.add("id", f"'{rule_id}' must equal the file name '{self.stem}'")
        if not _ID.match(self.stem):
            problems.add("id", f"'{self.stem}' must be lower-case letters, digits and dashes")
        applies_to = self._versions("applies_to", ranges=True)
        fixed_in = self._versions("fixed_in", ranges=False)
        requires, declared, optional = self._requires()
        uses = self._uses()
        logs = self._logs()
        facts = uses + self._facts()
        when = self._condition(data.get("when"), "when") if "when" in data else None
        evidence = tuple(
            q
            for i, text in enumerate(data.get("evidence", []))
            if (q := self.query(text, f"evidence[{i}]")) is not None
        )
        message = self._template("message")
        remediation = self._template("remediation")
        unknown_sources = (declared | optional) - set(SOURCES)
        for name in sorted(unknown_sources):
            problems.add("requires", f"unknown source '{name}'{suggest(name, SOURCES)}")
        if problems.lines or when is None or message is None or remediation is None:
            return None
        sources = (self.names_read & set(SOURCES)) | declared
        return Rule(
            id=self.stem,
            title=data["title"],
            severity=data["severity"],
            category=self.category,
            description=data["description"].strip(),
            path=self.path,
            file=self.file,
            pack=self.pack,
            when=when,
            message=message,
            remediation=remediation,
            applies_to=applies_to,
            fixed_in=fixed_in,
            products=tuple(data.get("products", ())),
            collect=data.get("collect", False) is True,
            requires=tuple(requires),
            sources=frozenset(sources - optional),
            optional_sources=frozenset(optional),
            object_kinds=frozenset(self.kinds_read),
            uses=tuple(data.get("uses", [])),
            facts=facts,
            logs=logs,
            evidence=evidence,
            explains=tuple(data.get("explains", [])),
            references=tuple(str(r) for r in data.get("references", [])),
        )

    def _versions(self, key: str, ranges: bool) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for product, spec in self.data.get(key, {}).items():
            if product not in VERSIONED:
                self.problems.add(
                    f"{key}.{product}", f"unknown product{suggest(str(product), VERSIONED)}"
                )
                continue
            if not ranges:
                if parse_version(str(spec)) is None:
                    self.problems.add(f"{key}.{product}", f"'{spec}' is not a version")
                else:
                    result[product] = str(spec)
                continue
            try:
                result[product] = VersionRange.parse(str(spec))
            except ValueError as exc:
                self.problems.add(f"{key}.{product}", f"'{spec}': {exc}")
        return result

    def _requires(self) -> tuple[list[str], set[str], set[str]]:
        value = self.data.get("requires", {})
        unusable = REQUIRES.check(value, "requires.", self.problems.add)
        lists = {
            f.name: [] if f.name in unusable else value.get(f.name) or [] for f in REQUIRES.fields
        }
        return lists["rules"], set(lists["sources"]), set(lists["optional"])

    def _new_name(self, name: Any, where: str) -> bool:
        if not isinstance(name, str) or not _NAME.match(name):
            self.problems.add(where, f"'{name}' is not a valid name (lower_case_with_underscores)")
            return False
        if name in SOURCES or name in LOG_SOURCES or name in TEMPLATE_NAMES:
            self.problems.add(where, f"'{name}' is the name of a source")
            return False
        if name in self.fact_names:
            self.problems.add(where, f"'{name}' is defined twice")
            return False
        return True

    def _logs(self) -> tuple[LogMatcher, ...]:
        matchers = []
        for i, entry in enumerate(self.data.get("logs", [])):
            where = f"logs[{i}]"
            if not isinstance(entry, dict):
                self.problems.add(where, "must be a mapping")
                continue
            if LOG_MATCHER.check(entry, f"{where}.", self.problems.add):
                continue
            if not self._new_name(entry["name"], f"{where}.name"):
                continue
            matcher = parse_log_matcher(entry, where, self.problems.add)
            if matcher is not None:
                self.fact_names.append(matcher.name)
                matchers.append(matcher)
        return tuple(matchers)

    def _uses(self) -> tuple[Fact, ...]:
        """The shared facts named in ``uses``, and those they need, in evaluation order."""
        names = []
        for i, name in enumerate(self.data.get("uses", [])):
            if name not in self.shared:
                self.problems.add(
                    f"uses[{i}]", f"unknown shared fact '{name}'{suggest(name, self.shared)}"
                )
            elif name in names:
                self.problems.add(f"uses[{i}]", f"'{name}' is listed twice")
            elif self._new_name(name, f"uses[{i}]"):
                names.append(name)
        facts = expand(names, self.shared)
        for fact in facts:
            if fact.name not in self.fact_names:
                self.fact_names.append(fact.name)
            self.names_read |= fact.query.names
            self.kinds_read |= fact.query.object_kinds
        return tuple(facts)

    def _facts(self) -> tuple[Fact, ...]:
        facts = []
        for name, value in self.data.get("facts", {}).items():
            fact = self.fact(name, value, f"facts.{name}")
            if self._new_name(name, f"facts.{name}") and fact is not None:
                self.fact_names.append(name)
                facts.append(fact)
        return tuple(facts)

    def _condition(self, value: Any, where: str) -> Condition | None:
        if isinstance(value, str):
            query = self.query(value, where)
            return Condition("query", where, query=query) if query else None
        if isinstance(value, dict) and len(value) == 1:
            op, body = next(iter(value.items()))
            if op == "not":
                child = self._condition(body, f"{where}.not")
                return Condition("not", where, (child,)) if child else None
            if op in ("all", "any"):
                if not isinstance(body, list) or not body:
                    self.problems.add(f"{where}.{op}", "must be a non-empty list")
                    return None
                children = [self._condition(c, f"{where}.{op}[{i}]") for i, c in enumerate(body)]
                if any(c is None for c in children):
                    return None
                return Condition(op, where, tuple(c for c in children if c))
            self.problems.add(
                f"{where}.{op}", f"unknown operator{suggest(str(op), ['all', 'any', 'not'])}"
            )
            return None
        self.problems.add(where, "must be a jmespath expression or one of all/any/not")
        return None

    def _template(self, key: str) -> RuleTemplate | None:
        text = self.data.get(key)
        if not isinstance(text, str):
            return None
        try:
            parsed = TEMPLATES.parse(text)
        except jinja2.TemplateSyntaxError as exc:
            self.problems.add(key, f"template error on line {exc.lineno}: {exc.message}")
            return None
        known = set(self.fact_names) | set(SOURCES) | TEMPLATE_NAMES
        for name in sorted(meta.find_undeclared_variables(parsed)):
            if name not in known and name not in TEMPLATES.globals:
                self.problems.add(key, f"unknown name '{name}' in template{suggest(name, known)}")
                continue
            if name in SOURCES:
                self.names_read.add(name)
        return RuleTemplate(parsed)


def parse_shared_facts(
    data: dict[str, Any], path: str, earlier: dict[str, SharedFact]
) -> tuple[dict[str, SharedFact], list[str]]:
    """The shared facts of a pack's ``_facts.yaml`` over those of the packs before it (a
    fact of the same name replaces theirs), and the problems found, cycles included."""
    checker = QueryChecker(path)
    valid = {}
    for name, value in data.items():
        if not isinstance(name, str) or not _NAME.match(name):
            checker.problems.add(str(name), "is not a valid name (lower_case_with_underscores)")
        elif name in SOURCES or name in LOG_SOURCES or name in TEMPLATE_NAMES:
            checker.problems.add(name, "is the name of a source")
        else:
            valid[name] = value
    names = set(earlier) | set(valid)
    checker.fact_names = sorted(names)
    found: dict[str, SharedFact] = {}
    for name, value in valid.items():
        fact = checker.fact(name, value, name)
        if fact is not None:
            needs = tuple(sorted(fact.query.names & names))
            found[name] = SharedFact(fact, needs, f"{path} -> {name}")
    shared = {**earlier, **found}
    for cycle in cycles((name, need) for name, fact in shared.items() for need in fact.needs):
        where = shared[cycle[0]].where
        checker.problems.lines.append(f"{where}: cycle {' -> '.join([*cycle, cycle[0]])}")
    return shared, checker.problems.lines
