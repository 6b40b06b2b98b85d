"""Rule packs: finding the rule files, loading them into one book, and the rule graph.

Each file is checked by analyzer/ruleparse.py (its shape by the schemas of
analyzer/ruleschema.py) and every problem is reported as ``<file> -> <field>: <what is
wrong>``; across files this module checks ids defined twice, unknown ids in
``requires``/``explains``, and cycles. Several packs make one book: a rule of a later pack
replaces the rule of an earlier one with the same id (``--rules DIR`` over the shipped pack).
The format itself is documented in docs/rule-format.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import networkx as nx
import yaml

from analyzer._version import __version__
from analyzer.errors import RuleError
from analyzer.rulefacts import SharedFact, cycles
from analyzer.ruleparse import Rule, RuleParser, parse_shared_facts
from analyzer.ruleschema import suggest
from analyzer.ruleyaml import RuleFileError, load_rule_yaml

RULE_SUFFIX = ".yaml"
TEST_SUFFIX = ".test.yaml"
#: a pack's shared facts, at its root; a later pack's fact replaces an earlier one by name
SHARED_FACTS = "_facts.yaml"


@dataclass
class RuleBook:
    """The loaded rules, by id, and their graph (requires and explains edges)."""

    rules: dict[str, Rule]
    graph: nx.DiGraph
    #: the packs the rules were read from, in order (a later one overrides by id)
    packs: tuple[Path, ...]
    #: rules that are reported as skipped ("disabled") instead of evaluated
    disabled: frozenset[str] = frozenset()

    def order(self) -> list[str]:
        """Evaluation order: dependencies first, ties broken by id so runs are identical."""
        requires = nx.DiGraph()
        requires.add_nodes_from(self.rules)
        requires.add_edges_from(
            (u, v) for u, v, kind in self.graph.edges(data="kind") if kind == "requires"
        )
        return list(nx.lexicographical_topological_sort(requires))

    def identity(self) -> tuple[str, str]:
        """(name, digest) of the packs, for reports to say which rules judged the bundle.

        The shipped pack is named for the tool's version, another by its folder (joined by
        ``+`` when they are layered); the digest (sha256 over the rule files, by path, and
        the shared facts)
        tells two editions of a pack apart."""
        digest = hashlib.sha256()
        for rule in self.rules.values():
            digest.update(rule.path.encode() + b"\0" + rule.file.read_bytes() + b"\0")
        # What the rules read of the shared facts changes what they find as much as a rule.
        for pack in self.packs:
            if (pack / SHARED_FACTS).is_file():
                digest.update(f"{pack.name}/{SHARED_FACTS}".encode() + b"\0")
                digest.update((pack / SHARED_FACTS).read_bytes() + b"\0")
        shipped = default_rules_dir().resolve()
        name = " + ".join(
            f"bundle-analyzer {__version__}" if pack.resolve() == shipped else pack.name
            for pack in self.packs
        )
        return name, digest.hexdigest()

    def explains_graph(self) -> nx.DiGraph:
        view = nx.DiGraph()
        view.add_nodes_from(self.rules)
        view.add_edges_from(
            (u, v) for u, v, kind in self.graph.edges(data="kind") if kind == "explains"
        )
        return view

    def disable(self, rule_ids: Iterable[str]) -> RuleBook:
        """This book with ``rule_ids`` skipped when analyzing; RuleError for an unknown id.
        They stay in the book so that the report says they were not evaluated, and the
        rules that require them skip naming them."""
        wanted = frozenset(rule_ids)
        unknown = sorted(wanted - set(self.rules))
        if unknown:
            raise RuleError(
                f"--disable: unknown rule id '{unknown[0]}'{suggest(unknown[0], self.rules)}"
            )
        return replace(self, disabled=self.disabled | wanted)


def rule_files(root: Path) -> list[Path]:
    """The rule files under ``root`` (test files beside them and ``_`` files such as the
    shared facts excluded), sorted."""
    return sorted(
        p
        for p in root.rglob(f"*{RULE_SUFFIX}")
        if not p.name.endswith(TEST_SUFFIX) and not p.name.startswith("_") and p.is_file()
    )


def _display(path: Path, root: Path) -> str:
    return f"{root.name}/{path.relative_to(root).as_posix()}"


def _read_mapping(path: Path, root: Path) -> tuple[dict | None, list[str]]:
    """The mapping a pack's file holds, or None and why not."""
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
        return None, [f"{shown}: must hold a mapping"]
    return data, []


def parse_rule_file(
    path: Path, root: Path, shared: dict[str, SharedFact] | None = None
) -> tuple[Rule | None, list[str]]:
    """One rule and the problems found in it (``file -> field: message`` lines)."""
    data, problems = _read_mapping(path, root)
    if data is None:
        return None, problems
    relative = path.relative_to(root)
    category = relative.parts[0] if len(relative.parts) > 1 else "general"
    stem = path.name[: -len(RULE_SUFFIX)]
    parser = RuleParser(data, _display(path, root), path, stem, category, root, shared)
    rule = parser.parse()
    return rule, parser.problems.lines


def read_shared_facts(
    root: Path, earlier: dict[str, SharedFact]
) -> tuple[dict[str, SharedFact], list[str]]:
    """The shared facts of ``earlier`` packs with those of ``root`` over them."""
    path = root / SHARED_FACTS
    if not path.is_file():
        return earlier, []
    data, problems = _read_mapping(path, root)
    if data is None:
        return earlier, problems
    return parse_shared_facts(data, _display(path, root), earlier)


def _read_pack(root: Path, shared: dict[str, SharedFact]) -> tuple[dict[str, Rule], list[str]]:
    if not root.is_dir():
        return {}, [f"{root}: no such rules directory"]
    rules: dict[str, Rule] = {}
    problems: list[str] = []
    for path in rule_files(root):
        rule, found = parse_rule_file(path, root, shared)
        problems += found
        if rule is not None:
            if rule.id in rules:
                problems.append(
                    f"{rule.path} -> id: '{rule.id}' is also defined in {rules[rule.id].path}"
                )
            rules[rule.id] = rule
    # A pack of shared facts alone is an overlay too: it changes what shipped rules read.
    if not rules and not problems and not (root / SHARED_FACTS).is_file():
        problems.append(f"{root}: no rule files (*.yaml) found")
    return rules, problems


def check_rules(*packs: Path) -> tuple[RuleBook | None, list[str]]:
    """Load every rule of ``packs``, a later pack's rule replacing an earlier one's with the
    same id; the book (None if any problem) and all problems."""
    rules: dict[str, Rule] = {}
    problems: list[str] = []
    # Every pack's shared facts first: a rule of the shipped pack uses the overlay's
    # version of a fact the overlay replaces.
    shared: dict[str, SharedFact] = {}
    for root in packs:
        shared, found_problems = read_shared_facts(root, shared)
        problems += found_problems
    for root in packs:
        found, pack_problems = _read_pack(root, shared)
        rules.update(found)
        problems += pack_problems
    graph = nx.DiGraph()
    graph.add_nodes_from(rules)
    for rule in rules.values():
        for field_name, targets in (("requires.rules", rule.requires), ("explains", rule.explains)):
            for i, target in enumerate(targets):
                if target not in rules:
                    problems.append(
                        f"{rule.path} -> {field_name}[{i}]: unknown rule id '{target}'"
                        f"{suggest(str(target), rules)}"
                    )
                elif target == rule.id:
                    problems.append(f"{rule.path} -> {field_name}[{i}]: a rule cannot name itself")
                elif field_name == "explains":
                    graph.add_edge(rule.id, target, kind="explains")
                else:
                    graph.add_edge(target, rule.id, kind="requires")
    book = RuleBook(dict(sorted(rules.items())), graph, tuple(packs))
    for kind, label in (("requires", "requires.rules"), ("explains", "explains")):
        edges = ((u, v) for u, v, k in graph.edges(data="kind") if k == kind)
        for cycle in cycles(edges):
            first = rules[cycle[0]]
            problems.append(f"{first.path} -> {label}: cycle {' -> '.join([*cycle, cycle[0]])}")
    return (None if problems else book), problems


def load_rules(*packs: Path | str) -> RuleBook:
    """Load and validate rule packs (default: the shipped one), later ones overriding
    earlier ones by rule id; RuleError naming the first problem (and how many more)."""
    book, problems = check_rules(*(Path(p) for p in packs or (default_rules_dir(),)))
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
