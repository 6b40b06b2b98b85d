"""The import contracts of pyproject.toml ([tool.importlinter]) hold, and the engine reads
bundles only through the sources."""

from __future__ import annotations

import ast
from pathlib import Path

from importlinter import cli

PROJECT = Path(__file__).resolve().parent.parent
ANALYZER = PROJECT / "analyzer"
#: the rule schema and the YAML reader are reshaped by other work (issue 11, items 4 and 7)
_LONGEST = 410


def test_the_import_contracts_are_kept(monkeypatch) -> None:
    monkeypatch.chdir(PROJECT)
    assert (
        cli.lint_imports(config_filename=str(PROJECT / "pyproject.toml"), no_cache=True)
        == cli.EXIT_STATUS_SUCCESS
    )


def _run_time_imports(path: Path) -> list[str]:
    """The modules ``path`` imports, but those imported only for type checkers."""
    tree = ast.parse(path.read_text())
    checking = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If)
        and ast.unparse(block.test) in {"TYPE_CHECKING", "typing.TYPE_CHECKING"}
        for node in ast.walk(block)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in checking:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return found


def test_the_engine_imports_nothing_from_the_bundle_package_but_types() -> None:
    for name in ("engine.py", "assemble.py"):
        imported = _run_time_imports(ANALYZER / name)
        assert [m for m in imported if m.startswith("analyzer.bundle")] == [], name


def test_no_module_of_the_library_is_over_about_400_lines() -> None:
    long = {
        str(path.relative_to(ANALYZER)): len(path.read_text().splitlines())
        for path in ANALYZER.rglob("*.py")
    }
    over = {name: n for name, n in long.items() if n > _LONGEST}
    assert over == {}


def test_the_terminal_colours_without_click_are_clicks() -> None:
    """The summary's colours moved off click (only analyzer/cli/ imports it): the bytes are
    the same."""
    import click

    from analyzer.render.terminal import _STYLES, style

    for how in [*_STYLES.values(), {"bold": True, "underline": True}, {"dim": True}]:
        assert style("x", **how) == click.style("x", **how), how
