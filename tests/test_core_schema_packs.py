"""Rule packs layered on the shipped one (--rules), alone (--rules-only), and rules switched
off (--disable) (issue 11, item 8)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from analyzer import __version__
from analyzer.cli import main
from analyzer.rulebook import default_rules_dir, load_rules
from fixtures.goldens import BUNDLES
from tests.conftest import PROJECT

SHIPPED = load_rules(default_rules_dir())


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def my_pack(tmp_path: Path) -> Path:
    """A pack that overrides node-not-ready (a new title) and adds a rule of its own."""
    pack = tmp_path / "my-rules"
    (pack / "kubernetes").mkdir(parents=True)
    for name in ("node-not-ready.yaml", "node-not-ready.test.yaml"):
        shutil.copy(PROJECT / "rules" / "kubernetes" / name, pack / "kubernetes" / name)
    rule = pack / "kubernetes" / "node-not-ready.yaml"
    text = rule.read_text()
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    rule.write_text(text.replace(title, "title: Our own node check"))
    (pack / "local").mkdir()
    (pack / "local" / "many-nodes.yaml").write_text(
        "id: many-nodes\ntitle: More than one node\nseverity: info\ndescription: A test rule.\n"
        'when: "length(nodes) > `1`"\nmessage: "{{ nodes | length }} nodes"\n'
        "remediation: Nothing to do.\n"
    )
    return pack


def listed(out: str) -> dict[str, str]:
    return {line.split()[0]: line for line in out.splitlines()}


def test_rules_adds_to_the_shipped_pack_and_overrides_by_id(capsys, tmp_path):
    code, out, _ = run(capsys, "rules", "list", "--rules", str(my_pack(tmp_path)))
    rules = listed(out)
    assert code == 0
    assert set(rules) == set(SHIPPED.rules) | {"many-nodes"}
    assert rules["node-not-ready"].endswith("Our own node check")


def test_rules_only_uses_the_pack_on_its_own(capsys, tmp_path):
    pack = my_pack(tmp_path)
    shutil.rmtree(pack / "kubernetes")  # its rule explains shipped rules
    code, out, _ = run(capsys, "rules", "list", "--rules-only", str(pack))
    assert code == 0 and set(listed(out)) == {"many-nodes"}


def test_rules_and_rules_only_together_are_a_usage_error(capsys, tmp_path):
    pack = str(my_pack(tmp_path))
    code, _, err = run(capsys, "rules", "list", "--rules", pack, "--rules-only", pack)
    assert code == 2 and "not both" in err


def test_a_layered_pack_is_named_after_both(tmp_path):
    book = load_rules(default_rules_dir(), my_pack(tmp_path))
    assert book.identity()[0] == f"bundle-analyzer {__version__} + my-rules"
    assert book.rules["node-not-ready"].pack == tmp_path / "my-rules"


def test_lint_reads_an_overriding_rules_cases_from_its_own_pack(capsys, tmp_path):
    pack = my_pack(tmp_path)
    code, out, _ = run(capsys, "rules", "lint", "--rules", str(pack))
    assert code == 1
    # The shipped pack has cases for node-not-ready; the override's are read beside it, and
    # the added rule has none.
    assert out.strip() == (
        "my-rules/local/many-nodes.yaml: no test cases (many-nodes.test.yaml is missing)"
    )


def test_an_overriding_rule_is_checked_against_the_combined_pack(capsys, tmp_path):
    pack = my_pack(tmp_path)
    rule = pack / "local" / "many-nodes.yaml"
    rule.write_text(rule.read_text() + "explains: [node-not-ready, dns-failure]\n")
    code, out, _ = run(capsys, "rules", "lint", "--rules", str(pack))
    assert code == 1
    assert (
        "my-rules/local/many-nodes.yaml -> explains[1]: unknown rule id 'dns-failure' "
        "(did you mean 'dns-failures'?)"
    ) in out


def analyze_json(capsys, *more: str) -> dict:
    bundle = str(BUNDLES / "mixed-upgrade-forbidden")
    code, out, err = run(capsys, "analyze", bundle, "-f", "json", "--fail-on", "none", *more)
    assert code == 0, err
    return {f["rule_id"]: f for f in json.loads(out)["findings"]}


def test_a_disabled_rule_is_reported_as_not_evaluated_and_its_dependents_skip(capsys):
    before = analyze_json(capsys)
    assert before["mixed-node-versions"]["status"] == "fired"
    after = analyze_json(capsys, "--disable", "mixed-node-versions")
    disabled = after["mixed-node-versions"]
    assert (disabled["status"], disabled["skip_kind"]) == ("skip", "disabled")
    assert disabled["message"] == "disabled by --disable"
    dependent = after["node-authorizer-mixed-versions"]
    assert (dependent["status"], dependent["skip_kind"]) == ("skip", "dependency")
    assert "mixed-node-versions" in dependent["message"]


def test_disabling_an_unknown_rule_is_an_error_with_a_suggestion(capsys):
    bundle = str(BUNDLES / "mixed-upgrade-forbidden")
    code, _, err = run(capsys, "analyze", bundle, "--disable", "node-not-redy")
    assert code == 2 and "did you mean 'node-not-ready'" in err
