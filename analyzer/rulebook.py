"""The rule format: loading ``rules/<category>/<id>.yaml``, validating it, and the rule graph.

Everything that can be checked before a bundle is opened is checked here, and every problem
is reported as ``<file> -> <field>: <what is wrong>``: unknown keys, jmespath that does not
compile or calls an unknown function, names that are neither a source nor a fact, regexes
that do not compile, templates that do not parse or use unknown names, unknown rule ids in
``requires``/``explains``, and cycles. The format itself is documented in docs/rules.md.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import networkx as nx
import yaml
from jinja2 import meta

from analyzer._version import __version__
from analyzer.bundle.logscan import LogPattern, PatternError, compile_pattern, required_literals
from analyzer.errors import RuleError
from analyzer.query import Query, QueryError, compile_query
from analyzer.report import SEVERITIES
from analyzer.ruleyaml import RuleFileError, load_rule_yaml
from analyzer.sandbox import make_environment
from analyzer.sources import KIND_KEY, LOG_SOURCES, SOURCES
from analyzer.versions import VersionRange, parse_version

RULE_SUFFIX = ".yaml"
TEST_SUFFIX = ".test.yaml"
VERSIONED = ("harvester", "kubernetes", "rancher")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_TOP_KEYS = {
    "id": True,
    "title": True,
    "severity": True,
    "description": True,
    "when": True,
    "message": True,
    "remediation": True,
    "applies_to": False,
    "fixed_in": False,
    "requires": False,
    "facts": False,
    "logs": False,
    "evidence": False,
    "explains": False,
    "references": False,
    "collect": False,
}
_LOG_KEYS = {
    "name": True,
    "source": True,
    "files": True,
    "pattern": True,
    "exclude": False,
    "min": False,
    "optional": False,
}
_REQUIRES_KEYS = {"rules", "sources", "optional"}
#: names every template may use besides the rule's facts and the sources
TEMPLATE_NAMES = frozenset({"versions", "metadata", "rule", "version_cmp", "age_hours"})


TEMPLATES = make_environment()


@dataclass(frozen=True)
class LogMatcher:
    """A regex over the lines of the log files whose logical names match ``files``."""

    name: str
    source: str
    files: tuple[str, ...]
    pattern: str
    regex: LogPattern
    min: int
    optional: bool
    file_regex: re.Pattern[str]

    def wants(self, logical_name: str) -> bool:
        return self.file_regex.match(logical_name) is not None


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
    when: Condition
    message: RuleTemplate
    remediation: RuleTemplate
    applies_to: dict[str, VersionRange] = field(default_factory=dict)
    fixed_in: dict[str, str] = field(default_factory=dict)
    #: what it finds is a gap in the bundle: when it fires, its message and remediation are
    #: listed under "what to collect next"
    collect: bool = False
    requires: tuple[str, ...] = ()
    #: sources that must be present, and those read as null when absent
    sources: frozenset[str] = frozenset()
    optional_sources: frozenset[str] = frozenset()
    object_kinds: frozenset[str] = frozenset()
    facts: tuple[tuple[str, Query], ...] = ()
    logs: tuple[LogMatcher, ...] = ()
    evidence: tuple[Query, ...] = ()
    explains: tuple[str, ...] = ()
    references: tuple[str, ...] = ()

    def needs(self) -> frozenset[str]:
        """Every source this rule reads, present or optional."""
        return self.sources | self.optional_sources


@dataclass
class RuleBook:
    """The loaded rules, by id, and their graph (requires and explains edges)."""

    rules: dict[str, Rule]
    graph: nx.DiGraph
    root: Path

    def order(self) -> list[str]:
        """Evaluation order: dependencies first, ties broken by id so runs are identical."""
        requires = nx.DiGraph()
        requires.add_nodes_from(self.rules)
        requires.add_edges_from(
            (u, v) for u, v, kind in self.graph.edges(data="kind") if kind == "requires"
        )
        return list(nx.lexicographical_topological_sort(requires))

    def identity(self) -> tuple[str, str]:
        """(name, digest) of the pack, for reports to say which rules judged the bundle.

        The shipped pack is named for the tool's version, another by its folder; the digest
        (sha256 over the rule files, by path) tells two editions of a pack apart."""
        digest = hashlib.sha256()
        for rule in self.rules.values():
            digest.update(rule.path.encode() + b"\0" + rule.file.read_bytes() + b"\0")
        name = (
            f"bundle-analyzer {__version__}"
            if self.root.resolve() == default_rules_dir().resolve()
            else self.root.name
        )
        return name, digest.hexdigest()

    def explains_graph(self) -> nx.DiGraph:
        view = nx.DiGraph()
        view.add_nodes_from(self.rules)
        view.add_edges_from(
            (u, v) for u, v, kind in self.graph.edges(data="kind") if kind == "explains"
        )
        return view


class _Problems:
    """Collects ``file -> field: message`` lines while one rule file is checked."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lines: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.lines.append(
            f"{self.path} -> {where}: {message}" if where else f"{self.path}: {message}"
        )


def _suggest(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_keys(
    data: dict, allowed: dict[str, bool] | set[str], where: str, problems: _Problems
) -> None:
    for key in data:
        if key not in allowed:
            problems.add(
                f"{where}{key}" if where else str(key), f"unknown key{_suggest(str(key), allowed)}"
            )
    if isinstance(allowed, dict):
        for key, required in allowed.items():
            if required and key not in data:
                problems.add(f"{where}{key}", "is required")


def glob_to_regex(pattern: str) -> str:
    """``*`` stays within one path segment, ``**`` crosses them, ``?`` is one character."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


class _RuleParser:
    """Turns one rule file's data into a Rule, recording every problem it finds."""

    def __init__(self, data: dict, path: str, file: Path, stem: str, category: str) -> None:
        self.data = data
        self.file = file
        self.problems = _Problems(path)
        self.path = path
        self.stem = stem
        self.category = category
        self.fact_names: list[str] = []
        self.names_read: set[str] = set()
        self.kinds_read: set[str] = set()

    def parse(self) -> Rule | None:
        data, problems = self.data, self.problems
        check_keys(data, _TOP_KEYS, "", problems)
        rule_id = data.get("id")
        if rule_id is not None and rule_id != self.stem:
            problems.add("id", f"'{rule_id}' must equal the file name '{self.stem}'")
        if not _ID.match(self.stem):
            problems.add("id", f"'{self.stem}' must be lower-case letters, digits and dashes")
        severity = data.get("severity")
        if "severity" in data and severity not in SEVERITIES:
            problems.add("severity", f"'{severity}' is not one of {', '.join(SEVERITIES)}")
        for key in ("title", "description", "message", "remediation"):
            if key in data and not isinstance(data[key], str):
                problems.add(key, "must be text")
        if not isinstance(data.get("collect", False), bool):
            problems.add("collect", "must be true or false")
        applies_to = self._versions("applies_to", ranges=True)
        fixed_in = self._versions("fixed_in", ranges=False)
        requires, declared, optional = self._requires()
        logs = self._logs()
        facts = self._facts()
        when = self._condition(data.get("when"), "when") if "when" in data else None
        evidence = tuple(
            q
            for i, text in enumerate(self._list("evidence"))
            if (q := self._query(text, f"evidence[{i}]")) is not None
        )
        explains = tuple(self._list("explains"))
        references = tuple(str(r) for r in self._list("references"))
        message = self._template("message")
        remediation = self._template("remediation")
        unknown_sources = (declared | optional) - set(SOURCES)
        for name in sorted(unknown_sources):
            problems.add("requires", f"unknown source '{name}'{_suggest(name, SOURCES)}")
        if problems.lines or when is None or message is None or remediation is None:
            return None
        sources = (self.names_read & set(SOURCES)) | declared
        return Rule(
            id=self.stem,
            title=data["title"],
            severity=severity,
            category=self.category,
            description=data["description"].strip(),
            path=self.path,
            file=self.file,
            when=when,
            message=message,
            remediation=remediation,
            applies_to=applies_to,
            fixed_in=fixed_in,
            collect=data.get("collect", False),
            requires=tuple(requires),
            sources=frozenset(sources - optional),
            optional_sources=frozenset(optional),
            object_kinds=frozenset(self.kinds_read),
            facts=facts,
            logs=logs,
            evidence=evidence,
            explains=explains,
            references=references,
        )

    def _list(self, key: str) -> list:
        value = self.data.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list):
            self.problems.add(key, "must be a list")
            return []
        return value

    def _versions(self, key: str, ranges: bool) -> dict[str, Any]:
        value = self.data.get(key) or {}
        if not isinstance(value, dict):
            self.problems.add(key, "must be a mapping of harvester/kubernetes/rancher")
            return {}
        result: dict[str, Any] = {}
        for product, spec in value.items():
            if product not in VERSIONED:
                self.problems.add(
                    f"{key}.{product}", f"unknown product{_suggest(str(product), VERSIONED)}"
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
        value = self.data.get("requires") or {}
        if not isinstance(value, dict):
            self.problems.add("requires", "must be a mapping with rules, sources, optional")
            return [], set(), set()
        check_keys(value, _REQUIRES_KEYS, "requires.", self.problems)
        lists = {}
        for key in _REQUIRES_KEYS:
            items = value.get(key) or []
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                self.problems.add(f"requires.{key}", "must be a list of names")
                items = []
            lists[key] = items
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
        for i, entry in enumerate(self._list("logs")):
            where = f"logs[{i}]"
            if not isinstance(entry, dict):
                self.problems.add(where, "must be a mapping")
                continue
            check_keys(entry, _LOG_KEYS, f"{where}.", self.problems)
            name, source = entry.get("name"), entry.get("source")
            if not self._new_name(name, f"{where}.name"):
                continue
            if source not in LOG_SOURCES:
                self.problems.add(
                    f"{where}.source", f"'{source}' is not one of {', '.join(LOG_SOURCES)}"
                )
                continue
            files = entry.get("files")
            files = [files] if isinstance(files, str) else files
            if not files or not all(isinstance(f, str) for f in files):
                self.problems.add(f"{where}.files", "must be a glob or a list of globs")
                continue
            compiled = {}
            for key in ("pattern", "exclude"):
                if key not in entry:
                    continue
                try:
                    compiled[key] = compile_pattern(str(entry[key]))
                except PatternError as exc:
                    self.problems.add(f"{where}.{key}", f"invalid regex: {exc}")
            if "pattern" not in compiled:
                continue
            minimum = entry.get("min", 1)
            if not isinstance(minimum, int) or minimum < 1:
                self.problems.add(f"{where}.min", "must be a whole number >= 1")
                continue
            self.fact_names.append(name)
            matchers.append(
                LogMatcher(
                    name=name,
                    source=source,
                    files=tuple(files),
                    pattern=str(entry["pattern"]),
                    regex=LogPattern(
                        compiled["pattern"],
                        compiled.get("exclude"),
                        required_literals(str(entry["pattern"])),
                    ),
                    min=minimum,
                    optional=bool(entry.get("optional", False)),
                    file_regex=re.compile("|".join(f"(?:{glob_to_regex(f)})$" for f in files)),
                )
            )
        return tuple(matchers)

    def _facts(self) -> tuple[tuple[str, Query], ...]:
        value = self.data.get("facts") or {}
        if not isinstance(value, dict):
            self.problems.add("facts", "must be a mapping of name: jmespath")
            return ()
        facts = []
        for name, text in value.items():
            where = f"facts.{name}"
            query = self._query(text, where)
            if self._new_name(name, where) and query is not None:
                self.fact_names.append(name)
                facts.append((name, query))
        return tuple(facts)

    def _query(self, text: Any, where: str) -> Query | None:
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
                f"unknown name '{name}' (not a source or an earlier fact){_suggest(name, known)}",
            )
        for kind in sorted(query.object_kinds):
            if not KIND_KEY.match(kind):
                self.problems.add(where, f"'{kind}' is not a kind (<group>/<plural>[@<namespace>])")
        self.names_read |= query.names
        self.kinds_read |= query.object_kinds
        return query

    def _condition(self, value: Any, where: str) -> Condition | None:
        if isinstance(value, str):
            query = self._query(value, where)
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
                f"{where}.{op}", f"unknown operator{_suggest(str(op), ['all', 'any', 'not'])}"
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
                self.problems.add(key, f"unknown name '{name}' in template{_suggest(name, known)}")
                continue
            if name in SOURCES:
                self.names_read.add(name)
        return RuleTemplate(parsed)


def rule_files(root: Path) -> list[Path]:
    """The rule files under ``root`` (test files beside them excluded), sorted."""
    return sorted(
        p for p in root.rglob(f"*{RULE_SUFFIX}") if not p.name.endswith(TEST_SUFFIX) and p.is_file()
    )


def _display(path: Path, root: Path) -> str:
    return f"{root.name}/{path.relative_to(root).as_posix()}"


def parse_rule_file(path: Path, root: Path) -> tuple[Rule | None, list[str]]:
    """One rule and the problems found in it (``file -> field: message`` lines)."""
    shown = _display(path, root)
    try:
        data = load_rule_yaml(path, root)
    except RuleFileError as exc:
        return None, [f"{shown}: refused: {exc}"]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [f"{shown}: cannot read ({exc})"]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        return None, [f"{shown}: invalid YAML: {where}{getattr(exc, 'problem', exc)}"]
    if not isinstance(data, dict):
        return None, [f"{shown}: a rule file must hold a mapping"]
    relative = path.relative_to(root)
    category = relative.parts[0] if len(relative.parts) > 1 else "general"
    parser = _RuleParser(data, shown, path, path.name[: -len(RULE_SUFFIX)], category)
    rule = parser.parse()
    return rule, parser.problems.lines


def check_rules(root: Path) -> tuple[RuleBook | None, list[str]]:
    """Load every rule under ``root``; the book (None if any problem) and all problems."""
    if not root.is_dir():
        return None, [f"{root}: no such rules directory"]
    rules: dict[str, Rule] = {}
    problems: list[str] = []
    for path in rule_files(root):
        rule, found = parse_rule_file(path, root)
        problems += found
        if rule is not None:
            if rule.id in rules:
                problems.append(
                    f"{rule.path} -> id: '{rule.id}' is also defined in {rules[rule.id].path}"
                )
            rules[rule.id] = rule
    if not rules and not problems:
        problems.append(f"{root}: no rule files (*.yaml) found")
    graph = nx.DiGraph()
    graph.add_nodes_from(rules)
    for rule in rules.values():
        for field_name, targets in (("requires.rules", rule.requires), ("explains", rule.explains)):
            for i, target in enumerate(targets):
                if target not in rules:
                    problems.append(
                        f"{rule.path} -> {field_name}[{i}]: unknown rule id '{target}'"
                        f"{_suggest(str(target), rules)}"
                    )
                elif target == rule.id:
                    problems.append(f"{rule.path} -> {field_name}[{i}]: a rule cannot name itself")
                elif field_name == "explains":
                    graph.add_edge(rule.id, target, kind="explains")
                else:
                    graph.add_edge(target, rule.id, kind="requires")
    book = RuleBook(dict(sorted(rules.items())), graph, root)
    for kind, label in (("requires", "requires.rules"), ("explains", "explains")):
        sub = nx.DiGraph((u, v) for u, v, k in graph.edges(data="kind") if k == kind)
        # Each cycle is shown from its smallest id, in edge order, so the message is stable.
        cycles = [c[c.index(min(c)) :] + c[: c.index(min(c))] for c in nx.simple_cycles(sub)]
        for cycle in sorted(cycles):
            first = rules[cycle[0]]
            problems.append(f"{first.path} -> {label}: cycle {' -> '.join([*cycle, cycle[0]])}")
    return (None if problems else book), problems


def load_rules(root: Path | str) -> RuleBook:
    """Load and validate a rule pack; RuleError naming the first problem (and how many more)."""
    book, problems = check_rules(Path(root))
    if problems:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise RuleError(problems[0] + more)
    assert book is not None
    return book


def default_rules_dir() -> Path:
    """The rule pack shipped with the package (wheel) or beside it (source checkout)."""
    here = Path(__file__).resolve().parent
    packaged = here / "_rulepack"
    return packaged if packaged.is_dir() else here.parent / "rules"
