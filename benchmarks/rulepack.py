"""Large rule graphs: a pack of 5,000 rules loads and folds in seconds, not minutes.

    python benchmarks/rulepack.py [RULES]

Writes two packs of RULES rules (default 5,000) in a temporary folder, every rule firing on
the demo bundle: a chain (each rule explains the next) and a dense graph (each explains the
next 50). For each, a fresh process loads the pack (``load_rules``), and another analyzes the
healthy fixture with it (the CLI, JSON report); prints wall time, peak RSS and exit code.
Before issue 10 the fold (``nx.descendants`` per fired rule, each sorted) made the chain take
minutes.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from measure import PROJECT, analyze_command, measure

RULE = """\
id: {id}
title: rule {id}
severity: {severity}
description: one of many
when: nodes
message: "{{{{ nodes | length }}}} nodes"
remediation: none
explains: [{explains}]
"""
SEVERITIES = ("critical", "high", "medium", "low", "info")


def write_pack(folder: Path, rules: int, fan_out: int) -> Path:
    """``rules`` rules in ``folder``; rule i explains rules i+1 .. i+fan_out."""
    pack = folder / "general"
    pack.mkdir(parents=True)
    ids = [f"r{i:05d}" for i in range(rules)]
    for i, rule_id in enumerate(ids):
        explains = ", ".join(ids[i + 1 : i + 1 + fan_out])
        text = RULE.format(id=rule_id, severity=SEVERITIES[i % 5], explains=explains)
        (pack / f"{rule_id}.yaml").write_text(text)
    return folder


def main() -> int:
    rules = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    bundle = PROJECT / "fixtures" / "bundles" / "healthy-v161"
    print(f"{'graph':<28} {'step':<8} {'exit':>4} {'wall s':>7} {'peak MB':>8}")
    failures = 0
    with tempfile.TemporaryDirectory(prefix="rulepack-bench-") as folder:
        for name, fan_out in ((f"chain of {rules}", 1), (f"dense, {rules} x 50", 50)):
            pack = write_pack(Path(folder) / name.split()[0], rules, fan_out)
            load = [
                sys.executable,
                "-c",
                f"from analyzer import load_rules; load_rules({str(pack)!r})",
            ]
            for step, command in (
                ("load", load),
                ("analyze", analyze_command([bundle], "--rules", str(pack))),
            ):
                run = measure(command)
                failures += run.returncode != 0
                print(
                    f"{name:<28} {step:<8} {run.returncode:>4} {run.wall:>7.2f} {run.peak_mb:>8.0f}"
                )
                if run.returncode:
                    print(f"    {run.stderr.strip().splitlines()[-1:]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
