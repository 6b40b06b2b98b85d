"""Hostile and broken bundles and rules: one test per threat, each failing without its guard.

Every analysis must end in a report (naming what it could not read) or in exit 2 with one
line, and must write nothing outside its private temporary folder.
"""

from __future__ import annotations

import re
import tempfile
import textwrap
import tracemalloc
from pathlib import Path

import pytest

from analyzer import analyze, load_rules, open_bundle, render
from analyzer.bundle import logscan
from analyzer.bundle.archive import Limits
from analyzer.cli import main
from analyzer.errors import BundleError
from analyzer.report import Report
from tests import hostile_corpus as corpus


@pytest.fixture(autouse=True)
def no_leftovers(tmp_path, private_tmpdir):
    """No analysis may leave files in its temp folder (this test's own, see conftest) or
    next to the bundle, nor write where an absolute entry name points."""
    tmp = Path(tempfile.gettempdir())
    assert tmp == private_tmpdir
    yield
    assert not list(tmp.glob("bundle-analyzer-*"))
    for name in ("escape.txt", "escape2.txt", "node-escape.log", "bundle-analyzer-escape.txt"):
        assert not list(tmp_path.parent.rglob(name)) and not (tmp / name).exists()
    # The absolute name a hostile bundle holds; only a broken analyzer would write there.
    assert not Path("/tmp/bundle-analyzer-escape.txt").exists()


def run(capsys, *args: str) -> tuple[int, str]:
    code = main(["analyze", *args, "--fail-on", "none"])
    return code, capsys.readouterr().err


def one_line_error(capsys, *args: str) -> str:
    code, err = run(capsys, *args)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


def everything(report: Report) -> str:
    return "".join(render(report, fmt) for fmt in ("md", "html", "json"))


# -- archive safety ---------------------------------------------------------------------------
def test_traversal_names_are_refused(tmp_path):
    report = analyze(corpus.traversal(tmp_path))
    notes = "\n".join(report.bundle.notes)
    for name in (
        "../../escape.txt",
        "/tmp/bundle-analyzer-escape.txt",
        "logs/../../../escape2.txt",
    ):
        assert name in notes


def test_traversal_inside_a_node_zip_is_refused(tmp_path):
    report = analyze(corpus.nested_traversal(tmp_path))
    notes = "\n".join(report.bundle.notes)
    assert "nodes/hv-node1.zip!/../../../node-escape.log" in notes
    assert "nodes/hv-node1.zip!//etc/node-evil" in notes


def test_tar_links_are_never_followed(tmp_path):
    secret = tmp_path / "host-secret.txt"
    secret.write_text("root:x:0:0:HOST-SECRET\n")
    report = analyze(corpus.tar_links(tmp_path, secret))
    assert "HOST-SECRET" not in everything(report)
    notes = "\n".join(report.bundle.notes)
    assert "logs/harvester-system/p/c.log" in notes and "kubelet.log.1" in notes


def test_a_zip_bomb_entry_is_refused_and_its_rule_skipped(tmp_path):
    report = analyze(corpus.zip_bomb_entry(tmp_path))
    finding = report.finding("vm-oom-killed")
    assert finding.status == "skip"
    assert "nodes/hv-node2.zip!/hv-node2/logs/kernel.log: refused: compressed" in finding.message
    assert "(a zip bomb?)" in finding.message
    assert report.finding("node-not-ready").status == "pass"  # the others still run


def test_archives_inside_node_zips_are_never_opened(tmp_path, monkeypatch):
    opened = []
    real = logscan.Scanner.scan

    def spy(self, stream, path, patterns, sinks):
        opened.append(path)
        return real(self, stream, path, patterns, sinks)

    monkeypatch.setattr(logscan.Scanner, "scan", spy)
    report = analyze(corpus.nested_bomb(tmp_path))
    assert not [f for f in report.findings if f.status == "error"]
    assert not any(
        p.endswith(".zip") and "!/" in p.split("nodes/")[-1].split(".zip!/", 1)[-1] for p in opened
    )


def test_entry_count_is_checked_before_the_directory_is_read(tmp_path, capsys):
    err = one_line_error(capsys, str(corpus.many_entries_declared(tmp_path)))
    assert "holds 10000000 entries, over the limit of 200000" in err


def test_entry_count_limit_in_folders(tmp_path):
    with pytest.raises(BundleError, match="more than 10 files, over the limit"):
        open_bundle(corpus.bundle_dir(tmp_path), Limits(max_entries=10))


def test_declared_total_size_over_the_limit(tmp_path, capsys):
    err = one_line_error(capsys, str(corpus.huge_declared_sizes(tmp_path)))
    assert "unpacks to" in err and "over the 64.0 GiB limit" in err


def test_per_file_size_limit(tmp_path):
    with open_bundle(corpus.bundle_zip(tmp_path), Limits(max_file_size=2048)) as bundle:
        report = analyze(bundle)
    assert any(
        "entry refused: yamls/namespaced/kube-system/v1/pods.yaml" in n for n in report.bundle.notes
    )
    assert "over the 0 MiB file limit" in report.finding("crash-looping-pods").message or (
        "pods.yaml: refused" in report.finding("crash-looping-pods").message
    )


# -- broken content ---------------------------------------------------------------------------
def test_truncated_tar(tmp_path, capsys):
    err = one_line_error(capsys, str(corpus.truncated_tar(tmp_path)))
    assert "not a readable tar archive" in err


def test_malformed_yaml_skips_the_rules_that_need_it(tmp_path):
    report = analyze(corpus.malformed_yaml(tmp_path))
    finding = report.finding("node-not-ready")
    assert finding.status == "skip"
    assert finding.message.startswith("yamls/cluster/v1/nodes.yaml: line 3: did not find")
    assert report.finding("crash-looping-pods").status == "pass"


def test_yaml_alias_bombs_are_refused(tmp_path):
    report = analyze(corpus.alias_bomb(tmp_path))
    finding = report.finding("crash-looping-pods")
    assert finding.status == "skip"
    assert "pods.yaml" in finding.message and "anchors are not accepted" in finding.message


def test_yaml_that_is_not_a_list(tmp_path):
    finding = analyze(corpus.non_list_yaml(tmp_path)).finding("node-not-ready")
    assert finding.message == "yamls/cluster/v1/nodes.yaml: not a Kubernetes List (no items:)"


def test_binary_and_invalid_utf8_logs(tmp_path):
    report = analyze(corpus.binary_logs(tmp_path))
    assert not [f for f in report.findings if f.status == "error"]


def test_a_line_without_newline_is_read_in_bounded_memory(tmp_path):
    bundle = corpus.long_line(tmp_path, scale=24 * corpus.MIB)
    tracemalloc.start()
    report = analyze(bundle)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert not [f for f in report.findings if f.status == "error"]
    # Blocks of 1 MiB plus one 64 KiB line: far below the 24 MiB the line holds.
    assert peak < 12 * corpus.MIB


def test_gigabytes_of_zeros_are_refused_unread(tmp_path):
    report = analyze(corpus.zeros_log(tmp_path))
    finding = report.finding("vm-oom-killed")
    assert finding.status == "skip"
    assert "nodes/hv-node2/logs/kernel.log: refused: 2.0 GiB, over the 1.0 GiB file limit" in (
        finding.message
    )


# -- split bundles ----------------------------------------------------------------------------
def test_split_bundle_from_its_first_part_or_all_parts(tmp_path, capsys):
    parts = corpus.split_bytes(tmp_path)
    whole = analyze(tmp_path / "whole" / f"{corpus.ROOT}.zip")
    for given in ([parts[0]], parts):
        report = analyze(given)
        assert report.bundle.name == f"{corpus.ROOT}.zip"
        assert [f.status for f in report.findings] == [f.status for f in whole.findings]
        assert report.bundle.sha256 == whole.bundle.sha256  # the parts are the zip, in order


def test_split_bundle_with_a_missing_part(tmp_path, capsys):
    parts = corpus.split_bytes(tmp_path)
    parts[1].unlink()
    err = one_line_error(capsys, str(parts[0]))
    assert "part(s) 002 of the split bundle are missing" in err


def test_split_bundle_of_zips_of_their_own(tmp_path):
    parts = corpus.split_zips(tmp_path)
    report = analyze(parts[0])
    assert all(n.has_node_zip for n in report.bundle.nodes)
    parts[1].unlink()  # the part holding yamls/
    report = analyze(parts[0])
    assert "split bundle: part(s) 002 missing; their files are absent" in report.bundle.notes
    assert report.finding("node-not-ready").message == (
        "yamls/cluster/v1/nodes.yaml is not in the bundle"
    )


# -- untrusted rules --------------------------------------------------------------------------
def rules_with(tmp_path: Path, **bodies: str) -> Path:
    root = tmp_path / "rules"
    for rule_id, body in bodies.items():
        path = root / "test" / f"{rule_id}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"id: {rule_id}\ntitle: t\ndescription: d\nremediation: r\nseverity: low\n"
            + textwrap.dedent(body)
        )
    return root


def test_templates_cannot_escape_the_sandbox_or_blow_up(tmp_path):
    rules = rules_with(
        tmp_path,
        escape='when: nodes\nmessage: "{{ nodes.__class__.__mro__[1].__subclasses__() }}"\n',
        huge="when: nodes\nmessage: \"{{ 'x' * 1000000000 }}\"\n",
        power='when: nodes\nmessage: "{{ 2 ** 100000 }}"\n',
        fine='when: nodes\nmessage: "{{ nodes | length }} nodes"\n',
    )
    report = analyze(corpus.BASE, load_rules(rules))
    for rule_id in ("escape", "huge", "power"):
        finding = report.finding(rule_id)
        assert finding.status == "error" and f"rule {rule_id} (" in finding.message
    assert report.finding("fine").message == "3 nodes"


def test_a_runaway_rule_is_stopped(tmp_path, monkeypatch):
    monkeypatch.setattr("analyzer.engine.RULE_BUDGET_SECONDS", 0.5)
    rules = rules_with(
        tmp_path,
        loop='when: nodes\nmessage: "{% for i in range(100000) %}{% for j in range(100000) %}'
        '{% endfor %}{% endfor %}"\n',
        fine="when: nodes\nmessage: ok\n",
    )
    report = analyze(corpus.BASE, load_rules(rules))
    assert "it ran for more than 0.5 s" in report.finding("loop").message
    assert report.finding("fine").status == "fired"


def test_a_runaway_template_output_is_stopped(tmp_path):
    rules = rules_with(
        tmp_path, wide='when: nodes\nmessage: "{% for i in range(100000) %}xxxxxxxx{% endfor %}"\n'
    )
    finding = analyze(corpus.BASE, load_rules(rules)).finding("wide")
    assert finding.status == "error" and "renders more than 20000 characters" in finding.message


def test_catastrophic_patterns_on_long_lines(tmp_path):
    bundle = corpus.bundle_dir(tmp_path)
    with open(bundle / "nodes/hv-node1/logs/kubelet.log", "a") as handle:
        handle.write("a" * 60000 + "!\n")
    rules = rules_with(
        tmp_path,
        evil="""\
        logs:
          - {name: hits, source: node_logs, files: "*/kubelet.log", pattern: '(a+)+$'}
        when: hits
        message: m
        """,
    )
    assert analyze(bundle, load_rules(rules)).finding("evil").status == "pass"


# -- reports that leak nothing ------------------------------------------------------------------
#: kind -> (what the log line says, the secret in it)
SECRETS = {
    "bearer": ("Authorization: Bearer abcDEF1234567890ghiJKL", "abcDEF1234567890ghiJKL"),
    "url": ("https://admin:S3cr3t-pw@rancher.example.com/v3", "S3cr3t-pw"),
    "yaml": ("password: Hunter2Hunter2", "Hunter2Hunter2"),
    "key": ("-----BEGIN RSA PRIVATE KEY-----MIIEowIBAAKCAQEAxyz", "MIIEowIBAAKCAQEAxyz"),
    "kubeconfig": (
        "client-key-data: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t",
        "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t",
    ),
    "jwt": (
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlX3NpZ25hdHVyZQ",
        "c2lnbmF0dXJlX3NpZ25hdHVyZQ",
    ),
    "join": ("K10" + "ab" * 32 + "::server:f00dcafe1234", "f00dcafe1234"),
}


def leaky_bundle(tmp_path: Path) -> tuple[Path, Path]:
    bundle = corpus.bundle_dir(tmp_path)
    lines = [
        f"Nov 03 16:40:0{i} hv-node1 rke2[1]: LEAK {line} <script>alert(1)</script> a|b `c` ````"
        for i, (line, _) in enumerate(SECRETS.values())
    ]
    with open(bundle / "nodes/hv-node1/logs/rke2-server.log", "a") as handle:
        handle.write("\n".join(lines) + "\n")
    rules = rules_with(
        tmp_path,
        leak="""\
        logs:
          - {name: hits, source: node_logs, files: "*/rke2-server.log", pattern: 'LEAK'}
        when: hits
        message: "{{ hits[0].text }}"
        """,
    )
    return bundle, rules


def test_secrets_are_redacted_in_every_format(tmp_path):
    bundle, rules = leaky_bundle(tmp_path)
    report = analyze(bundle, load_rules(rules))
    text = everything(report)
    for kind, (_, secret) in SECRETS.items():
        assert secret not in text, kind
    assert report.redactions >= len(SECRETS)
    assert f"{report.redactions} secret(s) redacted" in render(report, "md")
    shown = everything(analyze(bundle, load_rules(rules), redact=False))
    assert "Hunter2Hunter2" in shown and "S3cr3t-pw" in shown


def test_html_escapes_and_markdown_neutralises_what_the_bundle_says(tmp_path):
    bundle, rules = leaky_bundle(tmp_path)
    report = analyze(bundle, load_rules(rules))
    html = render(report, "html")
    assert (
        "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    )
    markdown = render(report, "md")
    # Inside fenced blocks and code spans HTML is inert; elsewhere it must be neutralised.
    outside_fences = re.sub(r"(?ms)^( *)(`{3,})text\n.*?^\1\2$", "", markdown)
    outside_code = re.sub(r"(`+).*?\1", "", outside_fences)
    assert "`" not in outside_code, "a fence or code span was left open"
    # Escaped by a backslash, which GitHub shows as "<" (an entity would leak into Jira).
    assert not re.search(r"(?<!\\)<script>", outside_code) and "\\<script>" in outside_code
    for row in (r for r in markdown.splitlines() if r.startswith("| 2025-")):
        assert row.count(" | ") == 3, row  # a pipe in the line does not split the table row


@pytest.mark.parametrize("compress", [False, True], ids=["tar", "tar.gz"])
def test_tar_cut_at_a_member_boundary(tmp_path, capsys, compress):
    err = one_line_error(capsys, str(corpus.truncated_tar_at_member_boundary(tmp_path, compress)))
    assert "not a readable tar archive" in err
