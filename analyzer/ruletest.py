"""Rule tests as data: ``rules/<category>/<id>.test.yaml`` beside each rule.

A case names a fixture bundle (``fixtures/bundles/<name>``) and may change it inline: write
files, append lines to logs, add objects to a List dump, set a field of an object, remove
files. The changed bundle is written to a private temporary folder, analyzed with the whole
rule book (so dependencies and causal links behave as in a real run), and the rule's outcome
is compared with what the case expects::

    cases:
      - name: fires-on-a-faulted-volume
        fixture: healthy-v161
        add_items:
          yamls/namespaced/longhorn-system/longhorn.io/v1beta2/volumes.yaml:
            - {apiVersion: longhorn.io/v1beta2, kind: Volume, metadata: {name: pvc-1}, ...}
        append:
          nodes/hv-node1/logs/kernel.log: |
            Nov 03 16:40:00 hv-node1 kernel: ...
        set:
          - file: yamls/cluster/v1/nodes.yaml
            name: hv-node2
            path: status.conditions[type=Ready].status
            value: "Unknown"
        remove: [nodes/hv-node3]
        expect: fired                 # fired | pass | skip | error (severity is the rule's)
        message_contains: ["pvc-1"]
        evidence_contains: ["volumes.yaml"]
        root_cause: true              # or: explained_by: [replica-failed]
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from analyzer.bundle.archive import safe_member_name
from analyzer.casepaths import inside, not_regular, unsafe_paths
from analyzer.engine import analyze
from analyzer.report import Finding, Report
from analyzer.rulebook import TEST_SUFFIX, RuleBook
from analyzer.ruleschema import CASE, CASE_SET
from analyzer.ruleyaml import load_rule_yaml, parse_without_aliases

_SEGMENT = re.compile(
    r"^(?P<key>[^\[\]]+)(?:\[(?P<index>\d+)\]|\[(?P<field>\w+)=(?P<value>[^\]]*)\])?$"
)


@dataclass(frozen=True)
class Case:
    rule_id: str
    name: str
    source: str  # the test file, for messages
    fixture: str
    expect: str
    changes: dict[str, Any] = field(default_factory=dict)
    message_contains: tuple[str, ...] = ()
    evidence_contains: tuple[str, ...] = ()
    root_cause: bool | None = None
    explained_by: tuple[str, ...] | None = None
    skip_kind: str | None = None
    #: why the case may not run (a path that leaves the bundle or the fixtures); "" if it may
    refused: str = ""

    @property
    def id(self) -> str:
        return f"{self.rule_id}::{self.name}"

    @property
    def fires(self) -> bool:
        return self.expect == "fired"


@dataclass(frozen=True)
class CaseResult:
    case: Case
    ok: bool
    why: str = ""


class _Problems(list):
    def add(self, where: str, message: str) -> None:
        self.append(f"{where}: {message}")


def test_file(rule_path: Path) -> Path:
    return rule_path.with_name(rule_path.name[: -len(".yaml")] + TEST_SUFFIX)


def load_cases(book: RuleBook) -> tuple[list[Case], list[str]]:
    """Every case of every rule, and the problems found (each naming file and field)."""
    cases: list[Case] = []
    problems = _Problems()
    for rule in book.rules.values():
        path = test_file(rule.file)
        shown = f"{Path(rule.path).parent.as_posix()}/{path.name}"
        if not path.is_file():
            problems.add(rule.path, f"no test cases ({path.name} is missing)")
            continue
        try:
            data = load_rule_yaml(path, rule.pack)
        except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError) as exc:
            problems.add(shown, f"cannot read: {str(exc).splitlines()[0]}")
            continue
        found = _parse_cases(rule.id, shown, data, problems)
        if found and not any(c.fires for c in found):
            problems.add(shown, "no case where the rule fires (expect: fired)")
        if found and all(c.fires for c in found):
            problems.add(shown, "no case where the rule does not fire (expect: pass or skip)")
        cases += found
    return cases, list(problems)


def _parse_cases(rule_id: str, shown: str, data: Any, problems: _Problems) -> list[Case]:
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list) or not data["cases"]:
        problems.add(shown, "must hold a non-empty list 'cases'")
        return []
    cases, names = [], set()
    for i, raw in enumerate(data["cases"]):
        where = f"{shown} -> cases[{i}]"
        if not isinstance(raw, dict):
            problems.add(where, "must be a mapping")
            continue
        before = len(problems)
        CASE.check(raw, f"{where}.", problems.add)
        for j, item in enumerate(raw.get("set") if isinstance(raw.get("set"), list) else []):
            if not isinstance(item, dict):
                problems.add(f"{where}.set[{j}]", "must be a mapping")
            else:
                CASE_SET.check(item, f"{where}.set[{j}].", problems.add)
        if raw.get("name") in names:
            problems.add(f"{where}.name", f"'{raw.get('name')}' is used twice")
        if len(problems) > before:
            continue
        # A path that leaves the bundle is a lint problem, and the case is kept (refused) so
        # that `rules test` says why it did not run instead of silently dropping it.
        unsafe = list(unsafe_paths(raw))
        for field_name, message in unsafe:
            problems.add(f"{where}.{field_name}", message)
        names.add(raw["name"])
        cases.append(
            Case(
                rule_id=rule_id,
                name=str(raw["name"]),
                source=shown,
                fixture=str(raw["fixture"]),
                expect=raw["expect"],
                changes={
                    k: raw[k] for k in ("files", "append", "add_items", "set", "remove") if k in raw
                },
                message_contains=tuple(raw.get("message_contains") or ()),
                evidence_contains=tuple(raw.get("evidence_contains") or ()),
                root_cause=raw.get("root_cause"),
                explained_by=tuple(raw["explained_by"]) if "explained_by" in raw else None,
                skip_kind=raw.get("skip_kind"),
                refused="; ".join(f"{f}: {m}" for f, m in unsafe),
            )
        )
    return cases


class _NoAliases(yaml.SafeDumper):
    """Bundle files never hold anchors (the analyzer refuses them): repeat shared objects."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_NoAliases, sort_keys=True)


def _list_dump(items: list[Any]) -> str:
    return _dump(
        {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": "1"}}
    )


def _set_field(obj: Any, dotted: str, value: Any) -> None:
    """Set ``a.b[2].c`` or ``status.conditions[type=Ready].status`` in ``obj``."""
    parts = dotted.split(".")
    for position, part in enumerate(parts):
        match = _SEGMENT.match(part)
        if not match:
            raise ValueError(f"bad path segment '{part}'")
        last = position == len(parts) - 1
        key = match["key"]
        if match["index"] is None and match["field"] is None:
            if last:
                obj[key] = value
                return
            obj = obj.setdefault(key, {})
            continue
        items = obj.setdefault(key, [])
        if match["index"] is not None:
            target_index = int(match["index"])
        else:
            target_index = next(
                (
                    i
                    for i, item in enumerate(items)
                    if str(item.get(match["field"])) == match["value"]
                ),
                None,
            )
            if target_index is None:
                raise ValueError(f"no item with {match['field']}={match['value']} in {key}")
        if last:
            items[target_index] = value
            return
        obj = items[target_index]


def materialize(case: Case, fixtures: Path, dest: Path) -> Path:
    """Write the case's bundle (fixture plus changes) under ``dest``; every path the case
    names must stay inside the fixtures folder or the copy (ValueError otherwise)."""
    if case.refused:
        raise ValueError(case.refused)
    base = inside(fixtures, case.fixture, "fixture", links=True)
    if not base.is_dir():
        raise ValueError(f"fixture '{case.fixture}' not found in {fixtures}")
    root = dest / safe_member_name(case.fixture)  # type: ignore[operator]
    shutil.copytree(base, root, ignore=not_regular)
    changes = case.changes
    for rel in changes.get("remove") or []:
        target = inside(root, rel, "remove")
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    for rel, content in (changes.get("files") or {}).items():
        target = inside(root, rel, "files")
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, list):
            target.write_text(_list_dump(content))
        elif isinstance(content, dict):
            target.write_text(_dump(content))
        else:
            target.write_text(str(content))
    for rel, text in (changes.get("append") or {}).items():
        target = inside(root, rel, "append")
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(str(text) if str(text).endswith("\n") else f"{text}\n")
    for rel, items in (changes.get("add_items") or {}).items():
        target = inside(root, rel, "add_items")
        # Fixture files come with the pack: an alias bomb in one would be expanded when the
        # changed file is written out (bundle files never hold aliases), so it is refused.
        existing = parse_without_aliases(target.read_text()) if target.exists() else None
        current = (existing or {}).get("items") or []
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_list_dump(current + list(items)))
    for edit in changes.get("set") or []:
        target = inside(root, edit["file"], "set.file")
        data = parse_without_aliases(target.read_text())
        item = next(
            (
                i
                for i in data.get("items") or []
                if (i.get("metadata") or {}).get("name") == edit["name"]
            ),
            None,
        )
        if item is None:
            raise ValueError(f"no object named {edit['name']} in {edit['file']}")
        _set_field(item, edit["path"], edit["value"])
        target.write_text(_dump(data))
    return root


def check(case: Case, report: Report) -> str:
    """Why the outcome differs from what the case expects ("" if it does not)."""
    finding: Finding = report.finding(case.rule_id)
    got = finding.status
    if case.expect != got:
        detail = f": {finding.message}" if finding.message and not finding.fired else ""
        return f"expected {case.expect}, got {got}{detail}"
    # Messages are wrapped by their templates: compare with whitespace collapsed.
    message = " ".join(finding.message.split())
    for text in case.message_contains:
        if " ".join(text.split()) not in message:
            return f"message lacks {text!r}: {message!r}"
    cited = [f"{e.location()} {e.excerpt}" for e in finding.evidence]
    for text in case.evidence_contains:
        if not any(text in c for c in cited):
            return f"no evidence contains {text!r}: {cited}"
    roots = [rc.rule_id for rc in report.root_causes]
    if case.root_cause is not None and (case.rule_id in roots) != case.root_cause:
        return f"expected root_cause {case.root_cause}; root causes are {roots}"
    if case.explained_by is not None and tuple(sorted(case.explained_by)) != tuple(
        sorted(finding.explained_by)
    ):
        return f"expected explained_by {list(case.explained_by)}, got {list(finding.explained_by)}"
    if case.skip_kind is not None and finding.skip_kind != case.skip_kind:
        return f"expected skip_kind {case.skip_kind}, got {finding.skip_kind}"
    return ""


def run_case(case: Case, book: RuleBook, fixtures: Path) -> CaseResult:
    """Build the case's bundle in a private temporary folder, analyze it, check the outcome."""
    if case.refused:
        # Refused before any folder is made: nothing of the host is touched.
        return CaseResult(case, False, f"{case.source}: refused: {case.refused}")
    with tempfile.TemporaryDirectory(prefix="bundle-analyzer-case-") as work:
        try:
            bundle = materialize(case, fixtures, Path(work))
        except (ValueError, OSError, KeyError, TypeError, AttributeError, yaml.YAMLError) as exc:
            return CaseResult(case, False, f"{case.source}: cannot build the bundle: {exc}")
        why = check(case, analyze(bundle, book))
    return CaseResult(case, not why, why)


def default_fixtures(pack: Path) -> Path:
    """Fixtures beside a rule pack: <rules>/../fixtures/bundles, in a checkout as in an
    installed package (pyproject.toml ships them there with the pack)."""
    return pack.resolve().parent / "fixtures" / "bundles"
