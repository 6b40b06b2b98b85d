"""The bundle's API without kubectl: replies to requests, selectors, ages, hostile input,
and the `get` and `logs` commands that share the code."""

from __future__ import annotations

import http.client
import json
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.kube.api import BundleApi, Reply, as_served
from analyzer.kube.catalog import Catalog
from analyzer.kube.select import SelectorError, label_selector
from analyzer.kube.server import _Server
from analyzer.kube.tables import human_duration
from analyzer.sources import open_sources
from fixtures.goldens import BUNDLES
from tests.test_cli import assert_one_line_error

KUBE_VIP = BUNDLES / "kube-vip-dhcp-conflict"
NOW = datetime(2025, 5, 20, 9, 0, tzinfo=timezone.utc)
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


@contextmanager
def api_of(bundle: Path, redact: bool = True) -> Iterator[BundleApi]:
    with open_sources(bundle) as sources:
        yield BundleApi(Catalog(sources, redact=redact), NOW)


def body(reply: Reply) -> bytes:
    return reply.body if isinstance(reply.body, bytes) else b"".join(reply.body)


def get(api: BundleApi, target: str, accept: str = "application/json") -> tuple[int, dict]:
    reply = api.handle("GET", target, accept)
    return reply.code, json.loads(body(reply))


def test_discovery_lists_what_the_bundle_holds() -> None:
    with api_of(BUNDLES / "faulted-volume-paused-vm") as api:
        _, groups = get(api, "/apis")
        names = {g["name"]: g["preferredVersion"]["version"] for g in groups["groups"]}
        assert names["kubevirt.io"] == "v1" and names["longhorn.io"] == "v1beta2"
        assert "apps" not in names  # the bundle dumped no apps objects
        _, core = get(api, "/api/v1")
        pods = next(r for r in core["resources"] if r["name"] == "pods")
        assert pods == {
            "name": "pods",
            "singularName": "pod",
            "namespaced": True,
            "kind": "Pod",
            "verbs": ["get", "list"],
            "shortNames": ["po"],
            "categories": ["all"],
        }
        nodes = next(r for r in core["resources"] if r["name"] == "nodes")
        assert nodes["namespaced"] is False
        code, missing = get(api, "/apis/apps/v1")
        assert code == 404 and missing["kind"] == "Status" and missing["reason"] == "NotFound"


def test_write_verbs_get_405_with_a_status_body() -> None:
    with api_of(KUBE_VIP) as api:
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            reply = api.handle(method, "/api/v1/namespaces/default/pods/x")
            status = json.loads(body(reply))
            assert reply.code == 405 == status["code"]
            assert status["kind"] == "Status" and status["reason"] == "MethodNotAllowed"


def test_tables_have_the_servers_columns_and_rows_carry_metadata() -> None:
    with api_of(KUBE_VIP) as api:
        code, table = get(api, "/api/v1/pods", TABLE)
        assert code == 200 and table["kind"] == "Table"
        names = [c["name"] for c in table["columnDefinitions"]]
        assert names[:6] == ["Name", "Ready", "Status", "Restarts", "Age", "IP"]
        assert [c["priority"] for c in table["columnDefinitions"]][5:] == [1, 1, 1, 1]
        row = next(r for r in table["rows"] if r["cells"][0] == "kube-vip-hv-node1")
        assert row["cells"][1:4] == ["0/1", "CrashLoopBackOff", 27]
        assert row["object"]["metadata"]["namespace"] == "harvester-system"


def test_same_request_same_bytes() -> None:
    with api_of(KUBE_VIP) as first, api_of(KUBE_VIP) as second:
        for target in ("/api/v1/pods", "/apis", "/api/v1/nodes/hv-node1"):
            assert body(first.handle("GET", target, TABLE)) == body(
                second.handle("GET", target, TABLE)
            )


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("a=b", {"a": "b"}, True),
        ("a==b,c", {"a": "b"}, False),
        ("a!=b", {}, True),
        ("!a", {"a": "x"}, False),
        ("a in (x, y),b notin (z)", {"a": "y", "b": "q"}, True),
        ("a notin (x)", {"a": "x"}, False),
    ],
)
def test_label_selectors(selector: str, labels: dict, expected: bool) -> None:
    assert label_selector(selector)({"metadata": {"labels": labels}}) is expected


@pytest.mark.parametrize("bad", ["a=(b", "a in b", "=x", "a b c"])
def test_bad_selectors_are_400(bad: str) -> None:
    with pytest.raises(SelectorError):
        label_selector(bad)
    with api_of(KUBE_VIP) as api:
        code, status = get(api, f"/api/v1/pods?labelSelector={bad}")
        assert code == 400 and status["reason"] == "BadRequest"


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (5, "5s"),
        (119, "119s"),
        (150, "2m30s"),
        (600, "10m"),
        (3 * 3600, "3h"),
        (7 * 3600 + 60, "7h1m"),
        (50 * 3600, "2d2h"),
        (9 * 86400, "9d"),
        (800 * 86400, "2y70d"),
    ],
)
def test_ages_as_kubectl_prints_them(seconds: int, shown: str) -> None:
    assert human_duration(seconds) == shown


def test_no_request_reaches_a_path_outside_the_logs() -> None:
    with api_of(KUBE_VIP) as api:
        for target in (
            "/api/v1/namespaces/harvester-system/pods/kube-vip-hv-node1/log?container=../../../metadata.yaml",
            "/api/v1/namespaces/harvester-system/pods/kube-vip-hv-node1/log?container=kube-vip.log%2f..",
            "/api/v1/namespaces/../pods/kube-vip-hv-node1/log",
            "/api/v1/namespaces/harvester-system/pods/..%2f..%2fmetadata.yaml/log",
        ):
            code, status = get(api, target)
            assert code == 404 and status["kind"] == "Status", target


def test_host_header_other_than_loopback_is_refused() -> None:
    with api_of(KUBE_VIP) as api:
        server = _Server(0, api)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            port = server.server_address[1]
            assert server.server_address[0] == "127.0.0.1"
            for host, code in ((f"127.0.0.1:{port}", 200), ("evil.example:80", 400)):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.putrequest("GET", "/api/v1/nodes", skip_host=True)
                conn.putheader("Host", host)
                conn.endheaders()
                assert conn.getresponse().status == code
                conn.close()
        finally:
            server.shutdown()
            server.server_close()


def test_unreadable_and_malformed_dumps(tmp_path: Path, capsys) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(KUBE_VIP, bundle)
    pods = bundle / "yamls" / "namespaced" / "kube-system" / "v1" / "pods.yaml"
    pods.write_text("items: [\n")
    nodes = bundle / "yamls" / "cluster" / "v1" / "nodes.yaml"
    nodes.write_text(
        "items:\n- metadata: 5\n- metadata: {name: [1, 2], creationTimestamp: x}\n"
        "- metadata: {name: ok, labels: {a: [b]}}\n  status: {conditions: [7, {type: Ready}]}\n"
        "  spec: {unschedulable: [x]}\n"
    )
    with api_of(bundle) as api:
        code, status = get(api, "/api/v1/pods")
        assert code == 500 and "could not read pods" in status["message"]
        code, table = get(api, "/api/v1/nodes", TABLE)
        assert code == 200 and [r["cells"][0] for r in table["rows"]] == ["", "", "ok"]
    code = main(["get", str(bundle), "pods", "-A"])
    assert code == 2
    assert_one_line_error(capsys.readouterr().err, "could not read pods")


def test_get_command_prints_like_kubectl(capsys) -> None:
    assert main(["get", str(KUBE_VIP), "nodes"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert [line.split()[0] for line in out[1:]] == ["hv-node1", "hv-node2", "hv-node3"]
    assert (
        main(
            [
                "get",
                str(KUBE_VIP),
                "po",
                "kube-vip-hv-node1",
                "-n",
                "harvester-system",
                "-o",
                "json",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["metadata"]["name"] == "kube-vip-hv-node1"
    assert (
        main(
            ["get", str(KUBE_VIP), "pods", "-A", "-l", "component=harvester-webhook", "-o", "name"]
        )
        == 0
    )
    assert capsys.readouterr().out == "pod/harvester-webhook-5b7c9d8f6-q4w7e\n"
    assert main(["get", str(KUBE_VIP), "settings.harvesterhci.io", "-o", "name"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "setting.harvesterhci.io/server-version"
    assert main(["get", str(KUBE_VIP), "widgets"]) == 2
    assert_one_line_error(capsys.readouterr().err, "widgets")


def test_logs_command_pod_and_node(capsys) -> None:
    folder = KUBE_VIP / "logs" / "harvester-system" / "kube-vip-hv-node1"
    assert main(["logs", str(KUBE_VIP), "kube-vip-hv-node1", "--previous"]) == 0
    assert capsys.readouterr().out == (folder / "kube-vip.log.1").read_text()
    assert main(["logs", str(KUBE_VIP), "--node", "hv-node2", "kubelet"]) == 0
    journal = KUBE_VIP / "nodes" / "hv-node2" / "logs" / "kubelet.log"
    assert capsys.readouterr().out == journal.read_text()
    assert main(["logs", str(KUBE_VIP), "--node", "hv-node2", "nothing"]) == 2
    assert_one_line_error(capsys.readouterr().err, "kubelet.log")


def test_secrets_are_redacted_unless_asked(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(KUBE_VIP, bundle)
    secrets = bundle / "yamls" / "namespaced" / "default" / "v1" / "secrets.yaml"
    secrets.parent.mkdir(parents=True)
    secrets.write_text(
        "items:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: s, namespace: default}\n"
        "  data: {token: c2VjcmV0}\n"
    )
    with api_of(bundle) as api:
        assert get(api, "/api/v1/namespaces/default/secrets/s")[1]["data"] == {
            "token": "[REDACTED]"
        }
    with api_of(bundle, redact=False) as api:
        assert get(api, "/api/v1/namespaces/default/secrets/s")[1]["data"] == {"token": "c2VjcmV0"}


def test_numbers_dumped_in_exponent_form_are_served_as_integers() -> None:
    dumped = {
        "spec": {"priority": "2e+09", "containers": [{"args": ["x1e+09"]}]},
        "status": {"images": [{"sizeBytes": 1.194914199e09}], "ratio": 0.5, "big": "1e+400"},
        "metadata": {"labels": {"v": "1e+09"}, "annotations": {"a": "3e+00"}},
    }
    assert as_served(dumped) == {
        "spec": {"priority": 2000000000, "containers": [{"args": ["x1e+09"]}]},
        "status": {"images": [{"sizeBytes": 1194914199}], "ratio": 0.5, "big": "1e+400"},
        "metadata": {"labels": {"v": "1e+09"}, "annotations": {"a": "3e+00"}},
    }


def test_a_busy_port_is_a_one_line_error_and_leaves_nothing(capsys, private_tmpdir: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", str(KUBE_VIP), "--port", str(port)]) == 2
    captured = capsys.readouterr()
    assert_one_line_error(captured.err, f"cannot listen on 127.0.0.1:{port}")
    assert captured.out == "" and list(private_tmpdir.iterdir()) == []


def test_logs_on_a_terminal_escape_control_characters(tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    bundle = tmp_path / "bundle"
    shutil.copytree(KUBE_VIP, bundle)
    log = bundle / "logs" / "harvester-system" / "kube-vip-hv-node1" / "kube-vip.log"
    log.write_bytes(b"plain\tline\n\x1b[2Jcleared \xff\n")
    leader, follower = pty.openpty()
    done = subprocess.run(
        [sys.executable, "-m", "analyzer", "logs", str(bundle), "kube-vip-hv-node1"],
        stdout=follower,
        stderr=subprocess.PIPE,
        timeout=120,
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal's other end is closed: all was read
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert done.returncode == 0, done.stderr
    assert b"\x1b" not in shown
    # (the undecodable byte is U+FFFD, or "?" on a console that is not UTF-8)
    assert shown.replace(b"\r\n", b"\n").startswith(b"plain\tline\n\\x1b[2Jcleared ")
    piped = subprocess.run(
        [sys.executable, "-m", "analyzer", "logs", str(bundle), "kube-vip-hv-node1"],
        capture_output=True,
        timeout=120,
    )
    assert piped.stdout == log.read_bytes()  # piped: the bytes as they are


def test_an_unwritable_kubeconfig_is_a_one_line_error(capsys, tmp_path: Path) -> None:
    target = tmp_path / "no-such-folder" / "kubeconfig"
    assert main(["serve", str(KUBE_VIP), "--kubeconfig", str(target)]) == 2
    assert_one_line_error(capsys.readouterr().err, "cannot write", "no-such-folder")
    assert not target.parent.exists()
