"""`rules`: work on the rule pack (list, lint, test, graph, docs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from analyzer.cli.common import echo, load_book, packs, rules_option, write_text
from analyzer.console import plural
from analyzer.errors import AnalyzerError
from analyzer.formats import GRAPH_FORMATS


@click.group()
def rules() -> None:
    """Work on the rule pack: list, lint, test, graph, docs."""


@rules.command("list")
@rules_option
def list_rules(rules_dirs: tuple[Path, ...], rules_only: Path | None) -> int:
    """One line per rule: id, severity, category, title."""
    for rule in load_book(rules_dirs, rules_only).rules.values():
        echo(f"{rule.id:<34} {rule.severity:<9} {rule.category:<11} {rule.title}")
    return 0


@rules.command()
@rules_option
def lint(rules_dirs: tuple[Path, ...], rules_only: Path | None) -> int:
    """Check every rule and its test cases; list each problem with file and field."""
    from analyzer.rulebook import check_rules
    from analyzer.ruletest import load_cases

    book, problems = check_rules(*packs(rules_dirs, rules_only))
    cases: list[Any] = []
    if book is not None:
        cases, case_problems = load_cases(book)
        problems += case_problems
    for problem in problems:
        echo(problem)
    if problems or book is None:
        echo(plural(len(problems), "problem"), err=True)
        return 1
    echo(f"{plural(len(book.rules), 'rule')} and {plural(len(cases), 'test case')}: no problem")
    return 0


@rules.command("test")
@click.argument("rule_ids", nargs=-1)
@rules_option
@click.option(
    "--fixtures",
    type=click.Path(path_type=Path, file_okay=False),
    help="Fixture bundles the cases name (default: <rules>/../fixtures/bundles, or those "
    "installed with the shipped rule pack).",
)
def run_tests(
    rule_ids: tuple[str, ...],
    rules_dirs: tuple[Path, ...],
    rules_only: Path | None,
    fixtures: Path | None,
) -> int:
    """Run the test cases of RULE_IDS (default: every rule); show which failed and why."""
    from analyzer.ruletest import default_fixtures, load_cases, run_case

    book = load_book(rules_dirs, rules_only)
    unknown = sorted(set(rule_ids) - set(book.rules))
    if unknown:
        word = "unknown rule id" if len(unknown) == 1 else "unknown rule ids"
        raise AnalyzerError(f"{word}: {', '.join(unknown)}")
    cases, _ = load_cases(book)
    selected = [c for c in cases if not rule_ids or c.rule_id in rule_ids]
    failed = 0
    for case in selected:
        pack = book.rules[case.rule_id].pack
        result = run_case(case, book, fixtures or default_fixtures(pack))
        failed += not result.ok
        echo(f"PASS {case.id}" if result.ok else f"FAIL {case.id}: {result.why}")
    echo(f"{len(selected) - failed} passed, {failed} failed", err=True)
    return 1 if failed else 0


@rules.command()
@rules_option
@click.option(
    "--format", "-f", "fmt", type=click.Choice(GRAPH_FORMATS), default="mermaid", show_default=True
)
def graph(rules_dirs: tuple[Path, ...], rules_only: Path | None, fmt: str) -> int:
    """The requires and explains graph of the rules, as Mermaid or DOT."""
    from analyzer.ruledocs import rule_graph

    echo(rule_graph(load_book(rules_dirs, rules_only), fmt), nl=False)
    return 0


@rules.command()
@rules_option
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    help="Where to write (default: docs/rules.md beside the rule pack, or rules.md in the "
    "current folder for the installed pack; - for stdout).",
)
def docs(rules_dirs: tuple[Path, ...], rules_only: Path | None, output: Path | None) -> int:
    """Write the rule reference from the rules' own metadata."""
    from analyzer.layoutdocs import LAYOUTS_MARKERS, with_layout_tables
    from analyzer.ruledocs import SOURCES_MARKERS, docs_target, rule_reference, with_sources_table
    from analyzer.ruleschema import FIELDS_BEGIN, with_field_tables

    book = load_book(rules_dirs, rules_only)
    text = rule_reference(book)
    if str(output) == "-":
        echo(text, nl=False)
        return 0
    target = output or docs_target(book.packs[-1].resolve())
    write_text(target, text)
    echo(f"wrote {target}", err=True)
    # The field tables of the rule format beside it come from the schemas: refreshed here,
    # so one command brings every generated document up to date.
    format_doc = target.with_name("rule-format.md")
    if format_doc.is_file() and FIELDS_BEGIN in (current := format_doc.read_text()):
        text = with_field_tables(current)
        if SOURCES_MARKERS[0] in text:  # the sources table, from the registries
            text = with_sources_table(text)
        if LAYOUTS_MARKERS[0] in text:  # the bundle kinds' tables, from the layouts
            text = with_layout_tables(text)
        write_text(format_doc, text)
        echo(f"wrote {format_doc}", err=True)
    return 0
