"""The command line, one module per command: parse options, call the library, print.

Exit codes: 0 no finding at or above --fail-on (or a rules command that found no problem);
1 there is one (a finding, a lint problem, a failed rule test); 2 an error (the bundle cannot
be read, a rule is invalid, bad usage), reported as one line on stderr, never a traceback.
"""

from __future__ import annotations

import os
from typing import Any

import click

from analyzer.cli.analyze import analyze
from analyzer.cli.common import echo
from analyzer.cli.diff import diff
from analyzer.cli.fleet import fleet
from analyzer.cli.rules import rules
from analyzer.cli.serve import get, logs, serve
from analyzer.console import InternalError
from analyzer.errors import AnalyzerError, printable

# One module per command (or command group) in this package; each is registered below. The
# engine, renderers and rule book load inside the commands, so `--help` stays fast.


class _Cli(click.Group):
    """The command group, with the two things click's own does not do: a bundle named
    without a command gets a suggestion, and an internal error leaves its traceback."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if self.get_command(ctx, name) is None and name and os.path.exists(name):
            raise click.UsageError(
                f"{name!r} is not a command; to analyze it: bundle-analyzer analyze {name}", ctx
            )
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (AnalyzerError, click.exceptions.ClickException, click.exceptions.Exit):
            raise
        except Exception as exc:
            raise InternalError(exc, debug=ctx.params["debug"]) from exc


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="bundle-analyzer", prog_name="bundle-analyzer")
@click.option(
    "--debug",
    is_flag=True,
    help="On an internal error, print the traceback instead of saving it to a file.",
)
def cli(debug: bool) -> None:
    """Offline root-cause analysis of Harvester support bundles."""


for _command in (analyze, rules, diff, serve, get, logs, fleet):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (the console script's entry point)."""
    try:
        code = cli.main(args=argv, prog_name="bundle-analyzer", standalone_mode=False)
    except click.exceptions.UsageError as exc:
        exc.show()
        return 2
    except click.exceptions.Abort:
        echo("bundle-analyzer: aborted", err=True)
        return 2
    except AnalyzerError as exc:
        echo(f"bundle-analyzer: error: {printable(str(exc))}", err=True)
        return 2
    except Exception as exc:
        # A bug outside a command (none is known) is reported like one inside.
        internal = exc if isinstance(exc, InternalError) else InternalError(exc, debug=False)
        echo(f"bundle-analyzer: internal error: {printable(str(internal))}", err=True)
        return 2
    return code if isinstance(code, int) else 0
