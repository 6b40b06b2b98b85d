"""`serve`, `get`, `logs`: the bundle as a read-only Kubernetes API for the stock kubectl,
and a quick look at its objects and logs without a server (the same code: analyzer/kube)."""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import shlex
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from analyzer.cli.common import echo, write_text
from analyzer.errors import AnalyzerError, printable

if TYPE_CHECKING:
    from analyzer.kube.api import BundleApi

_BUNDLE = click.argument("bundle", type=click.Path(path_type=Path))
_NO_REDACT = click.option(
    "--no-redact", is_flag=True, help="Show the values of Secret objects instead of [REDACTED]."
)


@contextlib.contextmanager
def _api(bundle: Path | tuple[Path, ...], redact: bool) -> Iterator[BundleApi]:
    """The API over an opened bundle; ages count to the bundle's creation time, else to the
    run time (SOURCE_DATE_EPOCH when set, as for analyze)."""
    from analyzer.bundle.timestamps import parse_rfc3339
    from analyzer.kube.api import BundleApi
    from analyzer.kube.catalog import Catalog
    from analyzer.report import run_time
    from analyzer.sources import open_sources

    with open_sources(list(bundle) if isinstance(bundle, tuple) else bundle) as sources:
        now = sources.created_at() or parse_rfc3339(run_time())
        assert now is not None
        yield BundleApi(Catalog(sources, redact=redact), now)


@click.command()
@click.argument("bundle", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    help="Port on 127.0.0.1 to listen on. [default: a free one]",
)
@click.option(
    "--kubeconfig",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the kubeconfig here (a new file, removed on exit). [default: a temporary file]",
)
@_NO_REDACT
def serve(bundle: tuple[Path, ...], port: int, kubeconfig: Path | None, no_redact: bool) -> int:
    """Serve BUNDLE read-only to kubectl on 127.0.0.1 until Ctrl-C.

    Prints `export KUBECONFIG=...`; the file is written once the server listens and removed
    when it stops. Write requests are refused (405)."""
    from analyzer.kube.server import kubeconfig as kubeconfig_text
    from analyzer.kube.server import serve as serve_http

    if kubeconfig is not None and os.path.lexists(kubeconfig):
        # Never overwrite a kubeconfig: it may be the engineer's real one.
        raise click.UsageError(f"{kubeconfig} exists; name a new file for --kubeconfig")
    folder = None
    if kubeconfig is None:
        folder = Path(tempfile.mkdtemp(prefix="bundle-analyzer-serve-"))
        kubeconfig = folder / "kubeconfig"
    written: list[Path] = []

    def listening(bound: int) -> None:
        write_text(kubeconfig, kubeconfig_text(bound))
        written.append(kubeconfig)
        echo(f"export KUBECONFIG={shlex.quote(str(kubeconfig))}")
        echo(
            f"bundle-analyzer: serving {printable(bundle[0].name)} read-only on "
            f"http://127.0.0.1:{bound} (Ctrl-C to stop)",
            err=True,
        )

    try:
        with _api(bundle, not no_redact) as api:
            try:
                serve_http(api, port, listening)
            except OSError as exc:
                if written:
                    raise
                raise AnalyzerError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
    finally:
        for path in written:
            with contextlib.suppress(OSError):
                path.unlink()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


@click.command()
@_BUNDLE
@click.argument("kind")
@click.argument("name", required=False)
@click.option("--namespace", "-n", default="default", show_default=True, help="Namespace.")
@click.option("--all-namespaces", "-A", "all_ns", is_flag=True, help="Every namespace.")
@click.option("--selector", "-l", help="Label selector (a=b,c!=d,e in (f,g)).")
@click.option("--field-selector", help="Field selector (spec.nodeName=n1,status.phase!=Running).")
@click.option("--output", "-o", type=click.Choice(["wide", "yaml", "json", "name"]))
@_NO_REDACT
def get(
    bundle: Path,
    kind: str,
    name: str | None,
    namespace: str,
    all_ns: bool,
    selector: str | None,
    field_selector: str | None,
    output: str | None,
    no_redact: bool,
) -> int:
    """Print objects of KIND (pods, no, vmi, volumes.longhorn.io ...) from BUNDLE, as
    `kubectl get` does against `serve`."""
    from analyzer.kube.catalog import meta
    from analyzer.kube.tables import text_table

    with _api(bundle, not no_redact) as api:
        res = api.catalog.resolve(kind)
        scope = None if all_ns or not res.namespaced else namespace
        if name is not None:
            objects = [api.catalog.get(res, scope, name)]
        else:
            objects = api.list(res, scope, selector, field_selector)
        if output in ("yaml", "json"):
            shown: Any = objects[0] if name is not None else _as_list(objects)
            echo(_dump(shown, output), nl=False)
        elif output == "name":
            prefix = f"{res.singular}.{res.group}" if res.group else res.singular
            for obj in objects:
                echo(f"{prefix}/{meta(obj, 'name')}")
        elif objects:
            wide = output == "wide"
            echo(
                text_table(
                    res, objects, api.now, wide=wide, namespaces=scope is None and res.namespaced
                )
            )
        else:
            where = f" in {namespace} namespace" if scope is not None else ""
            echo(f"No resources found{where}.", err=True)
    return 0


def _as_list(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


def _dump(value: Any, fmt: str) -> str:
    from analyzer.kube.api import as_served

    value = as_served(value)  # as kubectl prints it from the server
    if fmt == "json":
        return json.dumps(value, indent=4, ensure_ascii=False, default=str) + "\n"
    import yaml

    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=False)


@click.command()
@_BUNDLE
@click.argument("target", metavar="POD|UNIT")
@click.option("--container", "-c", help="The pod's container (needed when it has several).")
@click.option("--namespace", "-n", help="The pod's namespace. [default: the one holding it]")
@click.option("--previous", "-p", is_flag=True, help="The previous container's log (.log.1).")
@click.option("--node", help="A node's journal instead: UNIT is kubelet, rke2-server, ...")
@click.option("--tail", type=click.IntRange(min=0), help="Only the last N lines.")
def logs(
    bundle: Path,
    target: str,
    container: str | None,
    namespace: str | None,
    previous: bool,
    node: str | None,
    tail: int | None,
) -> int:
    """Print the log of pod POD (`-c` container) or, with `--node NODE`, the journal UNIT
    of that node, from BUNDLE."""
    from analyzer.kube import logs as kube_logs

    with _api(bundle, True) as api:
        sources = api.catalog.sources
        if node is not None:
            path = kube_logs.node_log(sources, node, target)
        else:
            namespace = namespace or _pod_namespace(api, target)
            if container is None:
                names = kube_logs.pod_containers(sources, namespace, target)
                if len(names) != 1:
                    raise AnalyzerError(
                        f"pod {target} has {len(names)} containers with logs: name one with -c "
                        f"({', '.join(names) or 'none'})"
                    )
                container = names[0]
            path = kube_logs.pod_log(sources, namespace, target, container, previous)
        chunks = kube_logs.stream(sources, path, tail)
        if sys.stdout.isatty():
            # A bundle's log may hold escape sequences: a terminal is shown them escaped.
            for text in _printable(chunks):
                echo(text, nl=False)
            return 0
        # Piped, the log's bytes as they are: a log is not always UTF-8.
        sys.stdout.flush()
        for chunk in chunks:
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
    return 0


def _printable(chunks: Iterator[bytes]) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    for chunk in chunks:
        lines = decoder.decode(chunk).split("\n")
        yield "\n".join("\t".join(map(printable, line.split("\t"))) for line in lines)


def _pod_namespace(api: BundleApi, pod: str) -> str:
    """The namespace whose logs hold pod ``pod``, when exactly one does."""
    from analyzer.kube.logs import pod_namespaces

    found = pod_namespaces(api.catalog.sources, pod)
    if len(found) != 1:
        where = f"in namespaces {', '.join(found)}: name one with -n" if found else "in the bundle"
        raise AnalyzerError(f"no single pod {pod} with logs {where}")
    return found[0]


__all__ = ["get", "logs", "serve"]
