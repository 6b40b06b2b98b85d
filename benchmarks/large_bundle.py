"""A large, realistic support bundle for the benchmarks: 16 nodes, 2,000+ pods, ~500 MB of logs.

    python benchmarks/large_bundle.py [--scale 1.0] [--out DIR]

Built with the fixtures' writer (fixtures/synth.py), so the layout and the formats are those
of the fixtures: journal lines without a year, klog, logrus, zap JSON, kubelet-prefixed pod
logs, ``kind: List`` dumps with the collector's "null" strings. Node logs are cut at their
last 10 MB, first line partial, as support-bundle-kit does. A few failure lines are buried in
the noise so that rules fire: a QEMU OOM kill, node-authorizer denials, kube-vip's port
conflict. ``--scale 2`` doubles the log volume (for the memory-growth check): twice the
nodes, each log cut at 10 MB all the same, and pod logs twice as long; the pods stay. The
zip is written once per scale and reused.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import zipfile
from datetime import timedelta
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from fixtures.scenarios import forbidden_lines  # noqa: E402
from fixtures.synth import (  # noqa: E402
    Cluster,
    Node,
    journal,
    klog,
    kubelet_prefixed,
    logrus,
    pack_bundle,
    pod,
    utc,
    write_bundle,
)

NODE_LOG_CUT = 10 * 1024 * 1024
GENERATOR = 2  # bumped whenever the output changes, so that cached bundles are remade
NAMESPACES = [
    "default",
    "vm-workloads",
    "tenant-a",
    "tenant-b",
    "cattle-system",
    "harvester-system",
    "longhorn-system",
    "kube-system",
    "cattle-monitoring-system",
    "cattle-fleet-system",
]
CREATED = utc("2025-11-03T16:45:00Z")


def _noise(rng: random.Random, host: str, unit: str, count: int, kind: str) -> list[str]:
    """``count`` lines of a node log in the format of ``kind``, ending at the bundle's time."""
    start = CREATED - timedelta(hours=48)
    step = timedelta(hours=48) / max(count, 1)
    messages = [
        "Successfully probed volume",
        "Reconciling plan",
        "Watching for changes",
        "updated lease",
        "syncing node status",
        "Observed a panic in reconciler: none",
        "sending heartbeat",
        "Probe succeeded",
        "Updating ARP cache for 10.52.3.14",
        'level=debug msg="[K8s] secret data/string-data did not change, not updating secret"',
    ]
    lines = []
    for i in range(count):
        moment = start + step * i
        text = f"{rng.choice(messages)} id={rng.randrange(1 << 30):08x} seq={i}"
        if kind == "journal":
            lines.append(journal(moment, host, unit, 2345, logrus(moment, "info", text)))
        elif kind == "klog":
            lines.append(
                klog(moment, "I", 2890, "kubelet.go:2412", f'"{text}" pod="ns/p-{i % 97}"')
            )
        elif kind == "kernel":
            lines.append(journal(moment, host, "kernel", 0, f"[{i * 0.013:.6f}] {text}"))
        else:
            lines.append(logrus(moment, "info", text))
    return lines


def _pod(index: int, name: str, namespace: str, node: str) -> dict:
    """A pod as a busy cluster dumps it: about 8 KB, a third of it managedFields."""
    mounts = [
        {"name": f"vol-{k}", "mountPath": f"/data/{k}", "readOnly": k % 2 == 0} for k in range(5)
    ]
    container = {
        "name": "main",
        "image": f"registry.example.com/app-{index % 50}:1.{index % 7}",
        "imagePullPolicy": "IfNotPresent",
        "env": [
            {"name": f"APP_SETTING_{k}", "value": f"value-{k}-{index % 13}"} for k in range(20)
        ],
        "ports": [
            {"containerPort": 8080 + k, "protocol": "TCP", "name": f"p{k}"} for k in range(3)
        ],
        "resources": {
            "limits": {"cpu": "1", "memory": "1Gi"},
            "requests": {"cpu": "100m", "memory": "256Mi"},
        },
        "volumeMounts": mounts,
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    status = {
        "restartCount": index % 3,
        "imageID": f"sha256:{index:064x}",
        "containerID": f"containerd://{index:064x}",
    }
    made = pod(name, namespace, node, container, status, CREATED - timedelta(days=33))
    fields = {f"f:APP_SETTING_{k}": {".": {}, "f:value": {}} for k in range(20)}
    conditions = ("Initialized", "Ready", "ContainersReady", "PodScheduled")
    made["metadata"].update(
        uid=f"uid-{index:08d}",
        labels={"app": f"app-{index % 50}", "pod-template-hash": f"{index:010x}"},
        annotations={
            "kubernetes.io/psp": "global-unrestricted-psp",
            "cni.projectcalico.org/podIP": f"10.52.{index % 250}.{index % 200}/32",
        },
        ownerReferences=[
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"app-{index % 50}-rs"}
        ],
        managedFields=[
            {
                "manager": "kube-controller-manager",
                "operation": "Update",
                "time": "2025-10-01T00:00:00Z",
                "fieldsV1": {"f:spec": {"f:containers": {'k:{"name":"main"}': {"f:env": fields}}}},
            },
            {
                "manager": "kubelet",
                "operation": "Update",
                "subresource": "status",
                "time": "2025-10-01T00:00:10Z",
                "fieldsV1": {
                    "f:status": {
                        "f:conditions": {
                            f'k:{{"type":"{t}"}}': {".": {}, "f:status": {}, "f:type": {}}
                            for t in conditions
                        }
                    }
                },
            },
        ],
    )
    made["spec"].update(
        restartPolicy="Always",
        serviceAccountName="default",
        schedulerName="default-scheduler",
        tolerations=[
            {
                "key": f"node.kubernetes.io/{t}",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            }
            for t in ("not-ready", "unreachable")
        ],
        volumes=[
            {"name": f"vol-{k}", "persistentVolumeClaim": {"claimName": f"pvc-{index}-{k}"}}
            for k in range(5)
        ],
        affinity={
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}
                            ]
                        }
                    ]
                }
            }
        },
    )
    made["status"].update(
        podIP=f"10.52.{index % 250}.{index % 200}",
        hostIP="10.10.1.1",
        qosClass="Burstable",
        conditions=[
            {
                "type": t,
                "status": "True",
                "lastProbeTime": "null",
                "lastTransitionTime": "2025-10-01T00:00:00Z",
            }
            for t in conditions
        ],
    )
    return made


def _cut(lines: list[str]) -> list[str]:
    """The last 10 MB of a log, first line partial, as the collector's tail -c does."""
    size = sum(len(line) + 1 for line in lines)
    if size <= NODE_LOG_CUT:
        return lines
    text = "\n".join(lines)[-NODE_LOG_CUT:]
    return text.split("\n")


def build(scale: float, dest: Path) -> Path:
    rng = random.Random(1234)
    nodes = []
    per_file = 95_000  # ~10.5 MB of journal lines, cut to 10 MB as the collector does
    # Node logs are cut at 10 MB, so more log volume means more nodes: 16 per unit of scale.
    for i in range(1, round(16 * scale) + 1):
        name = f"node-{i:02d}"
        control = i <= 3
        unit = "rke2-server" if control else "rke2-agent"
        logs = {
            f"{unit}.log": _cut(_noise(rng, name, "rke2", per_file, "journal")),
            "kubelet.log": _cut(_noise(rng, name, "kubelet", per_file, "klog")),
            "kernel.log": _cut(_noise(rng, name, "kernel", per_file, "kernel")),
        }
        if i == 7:
            moment = CREATED - timedelta(hours=2)
            logs["kernel.log"].insert(
                len(logs["kernel.log"]) // 2,
                journal(
                    moment,
                    name,
                    "kernel",
                    0,
                    "Memory cgroup out of memory: Killed process 48213 "
                    "(qemu-system-x86) total-vm:18743020kB, anon-rss:16893212kB",
                ),
            )
        if i == 12:  # the denial of a node left on the old version, buried in its journal
            rke2_log = logs[f"{unit}.log"]
            rke2_log.insert(len(rke2_log) // 3, forbidden_lines(CREATED, name)[0])
        nodes.append(
            Node(
                name=name,
                ip=f"10.10.1.{i}",
                harvester="v1.6.1",
                rke2="v1.33.5+rke2r1",
                rancher="v2.12.2",
                control_plane=control,
                logs=logs,
            )
        )
    pod_logs: dict[str, list[str]] = {}
    pods = []
    for index in range(2200):
        namespace = NAMESPACES[index % len(NAMESPACES)]
        pod = f"workload-{index:04d}-{rng.randrange(1 << 20):05x}"
        node = nodes[index % len(nodes)].name
        pods.append(_pod(index, pod, namespace, node))
        lines = [
            kubelet_prefixed(
                CREATED - timedelta(seconds=60 * k),
                logrus(
                    CREATED - timedelta(seconds=60 * k), "info", f"handled request {k} for {pod}"
                ),
            )
            for k in range(int(220 * scale))
        ]
        pod_logs[f"{namespace}/{pod}/main.log"] = lines
    pod_logs["harvester-system/kube-vip-node-01/kube-vip.log"] = [
        kubelet_prefixed(
            CREATED - timedelta(minutes=20),
            logrus(
                CREATED - timedelta(minutes=20),
                "fatal",
                "listen udp4 :68: bind: address already in use",
            ),
        )
    ]
    cluster = Cluster(
        uid="b16b16b1-6b16-4b16-8b16-b16b16b16b16",
        created_at=CREATED,
        kubernetes="v1.33.5+rke2r1",
        harvester_setting="v1.6.1",
        rancher="v2.12.2",
        nodes=nodes,
        pod_logs=pod_logs,
        objects={
            f"yamls/namespaced/{ns}/v1/pods.yaml": [
                p for p in pods if p["metadata"]["namespace"] == ns
            ]
            for ns in NAMESPACES
        },
    )
    with tempfile.TemporaryDirectory(prefix="large-bundle-") as work:
        folder = write_bundle(cluster, Path(work) / "bundle")
        target = dest / f"{cluster.name}.zip"
        pack_bundle(folder, target, zipfile.ZIP_DEFLATED)
    return target


def large_bundle(scale: float = 1.0, out: Path | None = None) -> Path:
    """The benchmark bundle at ``scale``, built on first use and cached."""
    cache = out or Path(tempfile.gettempdir()) / "ba-bench-cache"
    folder = cache / f"scale-{scale:g}-v{GENERATOR}"
    found = sorted(folder.glob("*.zip")) if folder.exists() else []
    if found:
        return found[0]
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return build(scale, folder)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    print(large_bundle(args.scale, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
