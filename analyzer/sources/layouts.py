"""The layouts of the other bundle kinds, as data (analyzer.bundle.kinds tells them apart).

Each maps a collector's files onto the same logical sources as support-bundle-kit's, so a
rule reads ``objects.pods`` or ``pod_logs`` whatever wrote the bundle. The paths come from
the collectors' source (longhorn-manager's manager/misc.go for the legacy bundle,
troubleshoot's pkg/collect for troubleshoot.sh); docs/rule-format.md's "Bundle kinds" table
is generated from these declarations.
"""

from __future__ import annotations

from dataclasses import replace

from analyzer.bundle import kinds
from analyzer.sources.layout import SUPPORT_BUNDLE_KIT, Layout, ObjectFiles

_APPS = {p: ("apps", p) for p in ("deployments", "statefulsets", "replicasets", "daemonsets")}
_BATCH = {p: ("batch", p) for p in ("jobs", "cronjobs")}
_NO_NODE_FILES: dict[str, tuple[str, ...]] = {
    "metadata": (),
    "harvester_release": (),
    "rke2_config": (),
}

LONGHORN = replace(
    SUPPORT_BUNDLE_KIT,
    name="support-bundle-kit (Longhorn)",
    lacks="Harvester, KubeVirt and Rancher objects; node zips hold host info, not Harvester's "
    "configs",
    collect="Generate a new Longhorn support bundle (Longhorn UI: Help > Generate Support "
    "Bundle); what it does not collect (other namespaces, rke2's own logs), save directly: "
    "kubectl get -A -o yaml, kubectl -n NAMESPACE logs POD --all-containers, journalctl on "
    "the node.",
)

#: Longhorn <= 1.3: Kubernetes Lists of the Longhorn namespace, bare lists of Longhorn's own
LONGHORN_LEGACY = Layout(
    name="Longhorn legacy (<= 1.3)",
    yamls="yamls/",
    nodes="",
    pod_logs="logs/",
    node_logs="",
    files=_NO_NODE_FILES | {"metadata": ("metadata.yaml",)},
    objects=(
        ObjectFiles(r"yamls/kubernetes/(?P<plural>nodes|volumeattachments)\.yaml"),
        ObjectFiles(r"yamls/kubernetes/(?P<plural>[a-z]+)\.yaml", "longhorn-system"),
        ObjectFiles(r"yamls/longhorn/(?P<plural>[a-z]+)\.yaml", "longhorn-system", "longhorn.io"),
    ),
    kinds=_APPS | _BATCH | {"volumeattachments": ("storage.k8s.io", "volumeattachments")},
    # No namespace level: the collector reads the Longhorn namespace alone.
    pod_log_names=(
        (r"logs/(?P<pod>[^/]+)/(?P<file>[^/]+\.log)", r"longhorn-system/\g<pod>/\g<file>"),
    ),
    lacks="node data (no node zips: no journals, kernel or kubelet logs), objects outside the "
    "Longhorn namespace, Harvester, KubeVirt and Rancher objects, previous containers' logs",
    collect="A Longhorn <= 1.3 bundle holds the Longhorn namespace only and no node data: save "
    "the rest directly (kubectl get -A -o yaml; journalctl -u kubelet and dmesg on the node), "
    "or generate the bundle again after upgrading Longhorn to 1.4 or later.",
)

#: troubleshoot.sh: JSON per kind and namespace (bare arrays before v0.50, Lists since)
TROUBLESHOOT = Layout(
    name="troubleshoot.sh",
    yamls="cluster-resources/",
    nodes="",
    pod_logs="cluster-resources/pods/logs/",
    node_logs="",
    files=_NO_NODE_FILES,
    objects=(
        # Custom resources: <plural>.<group>/<namespace>.yaml, .json too since 2023; .json is
        # preferred (listed first): redaction leaves unquoted ***HIDDEN*** in the YAML.
        ObjectFiles(
            r"cluster-resources/custom-resources/(?P<plural>[a-z0-9-]+)\.(?P<group>[a-z0-9.-]+)"
            r"/(?P<ns>[^/]+)\.json"
        ),
        ObjectFiles(
            r"cluster-resources/custom-resources/(?P<plural>[a-z0-9-]+)\.(?P<group>[a-z0-9.-]+)"
            r"/(?P<ns>[^/]+)\.yaml"
        ),
        ObjectFiles(
            r"cluster-resources/custom-resources/(?P<plural>[a-z0-9-]+)\."
            r"(?P<group>[a-z0-9.-]+?)\.(?:json|yaml)"
        ),
        ObjectFiles(r"cluster-resources/(?P<plural>[A-Za-z-]+)\.json"),
        ObjectFiles(r"cluster-resources/(?P<plural>[a-z-]+)/(?P<ns>[^/]+)\.json"),
    ),
    kinds=_APPS
    | _BATCH
    | {
        "pvs": ("", "persistentvolumes"),
        "pvcs": ("", "persistentvolumeclaims"),
        "resource-quota": ("", "resourcequotas"),
        "resource-quotas": ("", "resourcequotas"),
        "storage-classes": ("storage.k8s.io", "storageclasses"),
        "volumeattachments": ("storage.k8s.io", "volumeattachments"),
        "custom-resource-definitions": ("apiextensions.k8s.io", "customresourcedefinitions"),
        "clusterroles": ("rbac.authorization.k8s.io", "clusterroles"),
        "clusterRoleBindings": ("rbac.authorization.k8s.io", "clusterrolebindings"),
        "roles": ("rbac.authorization.k8s.io", "roles"),
        "rolebindings": ("rbac.authorization.k8s.io", "rolebindings"),
        "priorityclasses": ("scheduling.k8s.io", "priorityclasses"),
        "ingress": ("networking.k8s.io", "ingresses"),
        "network-policy": ("networking.k8s.io", "networkpolicies"),
        "pod-disruption-budgets": ("policy", "poddisruptionbudgets"),
        "leases": ("coordination.k8s.io", "leases"),
        "endpointslices": ("discovery.k8s.io", "endpointslices"),
    },
    pod_log_names=(
        (
            r"cluster-resources/pods/logs/(?P<ns>[^/]+)/(?P<pod>[^/]+)/(?P<container>[^/]+)"
            r"-previous\.log",
            r"\g<ns>/\g<pod>/\g<container>.log.1",
        ),
        (
            r"cluster-resources/pods/logs/(?P<ns>[^/]+)/(?P<pod>[^/]+)/(?P<file>[^/]+\.log)",
            r"\g<ns>/\g<pod>/\g<file>",
        ),
    ),
    lacks="node data (no node zips: no journals, kernel, kubelet or rke2 logs, no rke2 "
    "config), metadata.yaml; objects of the namespaces and kinds its spec collected only",
    collect="Collect a new troubleshoot.sh bundle whose spec includes what is missing "
    "(clusterResources for the namespace, logs for the pods, host collectors for node logs), "
    "or save it directly: kubectl -n NAMESPACE get -o yaml, kubectl logs --previous, "
    "journalctl on the node.",
)

#: namespaces the logs collector's podlogs/<namespace>-<pod> names start with: the name
#: alone cannot say where the namespace ends, so only these are told apart
_PODLOG_NAMESPACES = (
    r"kube-system|kube-public|default|cattle-[a-z-]+?-system|cattle-system|longhorn-system|"
    r"harvester-system|calico-system|tigera-operator|cert-manager|fleet-[a-z]+"
)

#: Rancher's logs collector: one node; journald units, rke2's kubectl output and pod logs
LOGS_COLLECTOR = Layout(
    name="Rancher logs collector",
    yamls="rke2/kubectl/",
    nodes="",
    pod_logs="rke2/podlogs/",
    node_logs="",
    files=_NO_NODE_FILES,
    objects=(ObjectFiles(r"rke2/kubectl/(?P<plural>nodes)\.json"),),
    # All containers of a pod in one file: matched as <namespace>/<pod>/containers.log[.1].
    pod_log_names=(
        (
            rf"rke2/podlogs/(?P<ns>{_PODLOG_NAMESPACES})-(?P<pod>[^/]+)-previous",
            r"\g<ns>/\g<pod>/containers.log.1",
        ),
        (
            rf"rke2/podlogs/(?P<ns>{_PODLOG_NAMESPACES})-(?P<pod>[^/]+)",
            r"\g<ns>/\g<pod>/containers.log",
        ),
    ),
    # journald units have no extension; the kubelet writes its own file under rke2.
    node_log_names=(
        (r"journald/(?P<unit>[a-z0-9-]+)", r"\g<unit>.log"),
        (r"rke2/agent-logs/(?P<file>kubelet\.log)", r"\g<file>"),
        (r"systemlogs/(?P<file>messages|syslog|kern\.log)", r"\g<file>"),
    ),
    host_file="systeminfo/hostname",
    lacks="the cluster's objects (pods, events, Longhorn, Harvester: only rke2's node list), "
    "the other nodes (one node per archive); pod logs of the namespaces it can tell apart",
    collect="Run the logs collector on every node of the cluster; for the cluster's objects, "
    "add a support bundle or kubectl get -A -o yaml from a working kubeconfig.",
)

#: the layout of each bundle kind
LAYOUTS: dict[str, Layout] = {
    kinds.LOGS_COLLECTOR: LOGS_COLLECTOR,
    kinds.HARVESTER: SUPPORT_BUNDLE_KIT,
    kinds.LONGHORN: LONGHORN,
    kinds.LONGHORN_LEGACY: LONGHORN_LEGACY,
    kinds.TROUBLESHOOT: TROUBLESHOOT,
}
