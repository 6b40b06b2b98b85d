"""``analyze --explain`` (issue 10, item 3): redacted, stripped of control characters, the
values it evaluated, and -f, -o, --no-redact honoured."""

from __future__ import annotations

import json
from pathlib import Path

from analyzer.cli import main
from tests import hostile_corpus as corpus
from tests.test_hostile import rules_with

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x9b31m"


def _setup(
    tmp_path: Path,
    line: str = f"Nov 03 16:40:01 hv-node1 rke2[1]: LEAK AWS_SECRET_ACCESS_KEY={SECRET} {ESCAPES}",
    message: str = '"{{ hits[0].text }}"',
) -> tuple[Path, Path]:
    """A bundle whose rke2-server log gains ``line``, and a rule pack whose one rule quotes
    the line it matched in a fact (and in ``message``)."""
    bundle = corpus.bundle_dir(tmp_path)
    with open(bundle / "nodes/hv-node1/logs/rke2-server.log", "a") as handle:
        handle.write(line + "\n")
    rules = rules_with(
        tmp_path,
        leak=f"""\
        logs:
          - {{name: hits, source: node_logs, files: "*/rke2-server.log", pattern: 'LEAK'}}
        facts:
          line: "hits[0].text"
        when: hits
        message: {message}
        """,
    )
    return bundle, rules


def _explain(capsys, bundle: Path, rules: Path, *more: str) -> tuple[int, str, str]:
    code = main(["analyze", str(bundle), "--rules", str(rules), "--explain", "leak", *more])
    out, err = capsys.readouterr()
    return code, out, err


def test_explain_redacts_and_strips_control_characters(capsys, tmp_path):
    bundle, rules = _setup(tmp_path)
    code, out, _ = _explain(capsys, bundle, rules)
    assert code == 0
    assert SECRET not in out and "AWS_SECRET_ACCESS_KEY=[REDACTED]" in out
    assert not any(c in out for c in "\x1b\x07\x9b")
    assert "secret(s) redacted" in out


def test_explain_shows_the_values_it_evaluated(capsys, tmp_path):
    bundle, rules = _setup(tmp_path)
    _, out, _ = _explain(capsys, bundle, rules)
    lines = out.splitlines()
    logs = lines.index("logs.hits: LEAK")
    # The matcher's value is a count, not a record: it was shown as "1 record(s)".
    assert lines[logs + 1] == "    = 1 matching lines in 3 files (min 1)"
    fact = lines.index("facts.line: hits[0].text")
    assert lines[fact + 1].startswith("    = Nov 03 16:40:01 hv-node1 rke2[1]: LEAK AWS_SECRET")


def test_explain_no_redact_shows_secrets_but_never_escapes(capsys, tmp_path):
    bundle, rules = _setup(tmp_path)
    _, out, _ = _explain(capsys, bundle, rules, "--no-redact")
    assert SECRET in out and "redacted" not in out
    assert "\x1b" not in out and "\x9b" not in out


def test_explain_formats_and_output_file(capsys, tmp_path):
    bundle, rules = _setup(tmp_path)
    code, out, _ = _explain(capsys, bundle, rules, "-f", "json")
    trace = json.loads(out)
    assert code == 0 and trace["rule_id"] == "leak" and trace["status"] == "fired"
    assert trace["redactions"] >= 1 and SECRET not in out
    assert trace["steps"][0] == {
        "where": "logs.hits",
        "check": "LEAK",
        "value": ["1 matching lines in 3 files (min 1)"],
    }
    _, md, _ = _explain(capsys, bundle, rules, "-f", "md")
    assert "\n```text\nleak (" in md and md.endswith("```\n") and SECRET not in md
    target = tmp_path / "trace.json"
    code, out, err = _explain(capsys, bundle, rules, "-o", str(target))
    assert code == 0 and out == "" and "explained leak" in err
    assert json.loads(target.read_text())["rule_id"] == "leak"


def test_explain_refuses_html_in_one_line(capsys, tmp_path):
    bundle, rules = _setup(tmp_path)
    code, out, err = _explain(capsys, bundle, rules, "-o", str(tmp_path / "trace.html"))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "--explain writes text, md, json" in err and not (tmp_path / "trace.html").exists()


def test_explain_redacts_a_value_before_shortening_it(capsys, tmp_path):
    """Shortened first, "postgres://u:pgpass1234...@db" cut inside the password would no
    longer look like a URL with credentials, and its first characters would show."""
    line = "LEAK " + "x" * 262 + " postgres://harvester:pgpass1234567890abcdef@db.example.com/app"
    bundle, rules = _setup(tmp_path, line, message="m")
    _, out, _ = _explain(capsys, bundle, rules)
    shown = out.splitlines()[out.splitlines().index("facts.line: hits[0].text") + 1]
    assert shown.endswith(" ...") and "pgpass" not in shown and "[REDACTED]" in shown
