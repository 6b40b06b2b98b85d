"""Issue 10, item 1: a rule pack's test cases may not read, write or delete outside the
fixtures folder and the case's temporary copy, and its files may not be links out of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.rulebook import check_rules
from analyzer.ruletest import Case, load_cases, materialize
from tests.conftest import PROJECT

RULE = "dns-failures"


def make_pack(tmp_path: Path, cases: str) -> Path:
    """A one-rule pack whose test file holds ``cases`` (YAML), and a tiny fixture beside it."""
    rules = tmp_path / "pack" / "rules"
    (rules / "kubernetes").mkdir(parents=True)
    shutil.copy(PROJECT / "rules" / "kubernetes" / f"{RULE}.yaml", rules / "kubernetes")
    (rules / "kubernetes" / f"{RULE}.test.yaml").write_text(cases)
    tiny = tmp_path / "pack" / "fixtures" / "bundles" / "tiny"
    (tiny / "logs").mkdir(parents=True)
    (tiny / "logs" / "a.log").write_text("one line\n")
    return rules


def fixtures_of(rules: Path) -> Path:
    return rules.parent / "fixtures" / "bundles"


def case(fixture: str = "tiny", **changes: object) -> Case:
    return Case(RULE, "c", "t.test.yaml", fixture, "pass", changes=dict(changes))


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A host file that no case may change or delete."""
    path = tmp_path / "victim.txt"
    path.write_text("precious\n")
    return path


@pytest.mark.parametrize(
    "changes",
    [
        {"files": {"../../../victim.txt": "owned"}},
        {"append": {"../../../victim.txt": "owned"}},
        {"add_items": {"../../../victim.txt": [{"kind": "X"}]}},
        {"remove": ["../../../victim.txt"]},
        {"set": [{"file": "../../../victim.txt", "name": "n", "path": "a", "value": 1}]},
    ],
    ids=["files", "append", "add_items", "remove", "set"],
)
def test_materialize_refuses_dotdot_paths(tmp_path, victim, changes):
    rules = make_pack(tmp_path, "cases: []\n")
    dest = tmp_path / "work" / "dest"
    dest.mkdir(parents=True)
    with pytest.raises(ValueError, match="not a path inside the bundle"):
        materialize(case(**changes), fixtures_of(rules), dest)
    assert victim.read_text() == "precious\n"


def test_materialize_refuses_absolute_paths(tmp_path, victim):
    rules = make_pack(tmp_path, "cases: []\n")
    escape = tmp_path / "escape.txt"
    with pytest.raises(ValueError, match="not a path inside the bundle"):
        materialize(case(files={str(escape): "owned"}), fixtures_of(rules), tmp_path / "d")
    assert not escape.exists()


def test_materialize_refuses_a_fixture_outside_the_fixtures_folder(tmp_path):
    rules = make_pack(tmp_path, "cases: []\n")
    outside = tmp_path / "pack" / "fixtures" / "elsewhere"
    outside.mkdir()
    (outside / "host.txt").write_text("host\n")
    dest = tmp_path / "d"
    with pytest.raises(ValueError):
        materialize(case(fixture="../elsewhere"), fixtures_of(rules), dest)
    assert not dest.exists() or not any(dest.rglob("host.txt"))


def test_materialize_refuses_a_fixture_that_links_outside(tmp_path):
    rules = make_pack(tmp_path, "cases: []\n")
    host = tmp_path / "host-folder"
    host.mkdir()
    (host / "host.txt").write_text("host\n")
    (fixtures_of(rules) / "linked").symlink_to(host)
    dest = tmp_path / "d"
    with pytest.raises(ValueError, match="outside"):
        materialize(case(fixture="linked"), fixtures_of(rules), dest)
    assert not dest.exists() or not any(dest.rglob("host.txt"))


def test_links_inside_a_fixture_are_not_copied_nor_written_through(tmp_path, victim):
    rules = make_pack(tmp_path, "cases: []\n")
    tiny = fixtures_of(rules) / "tiny"
    (tiny / "secret.txt").symlink_to(victim)
    (tiny / "hostdir").symlink_to(tmp_path)
    root = materialize(
        case(append={"hostdir/victim.txt": "owned", "secret.txt": "owned"}),
        fixtures_of(rules),
        tmp_path / "d",
    )
    assert victim.read_text() == "precious\n"
    # The copy holds regular files only: the appends made new files inside it.
    assert not (root / "secret.txt").is_symlink() and not (root / "hostdir").is_symlink()
    assert (root / "secret.txt").read_text() == "owned\n"


UNSAFE_CASES = """\
cases:
  - name: escapes
    fixture: ../../..
    files: {/etc/owned: x}
    append: {../../victim.txt: x}
    remove: [../victim.txt]
    set: [{file: /etc/passwd, name: n, path: a, value: 1}]
    expect: fired
  - name: fine
    fixture: tiny
    expect: pass
"""


def test_lint_names_file_and_field_of_every_unsafe_path(tmp_path):
    rules = make_pack(tmp_path, UNSAFE_CASES)
    book, problems = check_rules(rules)
    assert book is not None and problems == []
    _, problems = load_cases(book)
    shown = f"rules/kubernetes/{RULE}.test.yaml -> cases[0]"
    for field in ("fixture", "files", "append", "remove[0]", "set[0].file"):
        assert any(p.startswith(f"{shown}.{field}: ") for p in problems), (field, problems)


def test_rules_test_refuses_the_case_and_touches_nothing(tmp_path, victim, capsys):
    only_unsafe = UNSAFE_CASES[: UNSAFE_CASES.index("  - name: fine")]
    rules = make_pack(tmp_path, only_unsafe)
    code = main(["rules", "test", "--rules", str(rules), "--fixtures", str(fixtures_of(rules))])
    out = capsys.readouterr().out
    assert code == 1
    line = next(line for line in out.splitlines() if f"{RULE}::escapes" in line)
    assert line.startswith("FAIL") and "refused" in line and "fixture" in line
    assert victim.read_text() == "precious\n"


def test_a_rule_file_linking_outside_the_pack_is_refused(tmp_path):
    rules = make_pack(tmp_path, "cases: []\n")
    host = tmp_path / "host.yaml"
    host.write_text("id: host\npassword: hunter2\n")
    (rules / "kubernetes" / "host.yaml").symlink_to(host)
    _, problems = check_rules(rules)
    assert "rules/kubernetes/host.yaml: refused: a link to outside the rule pack" in problems
    assert not any("hunter2" in p for p in problems)


@pytest.mark.parametrize("change", ["add_items", "set"])
def test_a_fixture_file_with_yaml_aliases_is_refused_not_expanded(tmp_path, change):
    rules = make_pack(tmp_path, "cases: []\n")
    dumps = fixtures_of(rules) / "tiny" / "yamls"
    dumps.mkdir()
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    lines += [
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]" for p, c in zip("abcd", "bcde", strict=True)
    ]
    (dumps / "bomb.yaml").write_text("\n".join(lines) + "\nitems: [*e]\n")
    edit = (
        {"add_items": {"yamls/bomb.yaml": [{"kind": "X"}]}}
        if change == "add_items"
        else {"set": [{"file": "yamls/bomb.yaml", "name": "n", "path": "a", "value": 1}]}
    )
    # Written back without aliases, the five lines would become 100,000 values (10**9 with
    # nine lines): refused instead.
    with pytest.raises(ValueError, match="aliases"):
        materialize(case(**edit), fixtures_of(rules), tmp_path / "d")
