"""The kinds a bundle holds, as the Kubernetes API would list them, and their objects.

Everything comes from what the bundle dumped: the group, version, plural and scope of a kind
from where its file is (``yamls/cluster|namespaced/<ns>/<group>/<version>/<plural>.yaml``),
its Kind from its objects. The objects are read by ``Sources.kind``, with the same guards and
parse budgets as ``analyze``; nothing here opens a bundle path itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analyzer.errors import AnalyzerError
from analyzer.kube.crds import CrdFacts, PrinterColumn, crd_facts
from analyzer.secrets import REDACTED
from analyzer.sources import SourceMissing, Sources
from analyzer.sources.core import api_version_rank

#: (group, plural) -> (Kind, short names) of the kinds kubectl users name most; another
#: kind takes its Kind from its objects and has no short name, as a CRD without any would
WELL_KNOWN: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    ("", "pods"): ("Pod", ("po",)),
    ("", "nodes"): ("Node", ("no",)),
    ("", "namespaces"): ("Namespace", ("ns",)),
    ("", "services"): ("Service", ("svc",)),
    ("", "events"): ("Event", ("ev",)),
    ("", "configmaps"): ("ConfigMap", ("cm",)),
    ("", "secrets"): ("Secret", ()),
    ("", "serviceaccounts"): ("ServiceAccount", ("sa",)),
    ("", "endpoints"): ("Endpoints", ("ep",)),
    ("", "persistentvolumeclaims"): ("PersistentVolumeClaim", ("pvc",)),
    ("", "persistentvolumes"): ("PersistentVolume", ("pv",)),
    ("", "replicationcontrollers"): ("ReplicationController", ("rc",)),
    ("", "resourcequotas"): ("ResourceQuota", ("quota",)),
    ("", "limitranges"): ("LimitRange", ("limits",)),
    ("apps", "deployments"): ("Deployment", ("deploy",)),
    ("apps", "daemonsets"): ("DaemonSet", ("ds",)),
    ("apps", "statefulsets"): ("StatefulSet", ("sts",)),
    ("apps", "replicasets"): ("ReplicaSet", ("rs",)),
    ("batch", "jobs"): ("Job", ()),
    ("batch", "cronjobs"): ("CronJob", ("cj",)),
    ("networking.k8s.io", "ingresses"): ("Ingress", ("ing",)),
    ("storage.k8s.io", "storageclasses"): ("StorageClass", ("sc",)),
    ("apiextensions.k8s.io", "customresourcedefinitions"): (
        "CustomResourceDefinition",
        ("crd", "crds"),
    ),
    ("kubevirt.io", "virtualmachines"): ("VirtualMachine", ("vm", "vms")),
    ("kubevirt.io", "virtualmachineinstances"): ("VirtualMachineInstance", ("vmi", "vmis")),
    ("kubevirt.io", "virtualmachineinstancemigrations"): (
        "VirtualMachineInstanceMigration",
        ("vmim",),
    ),
    ("longhorn.io", "volumes"): ("Volume", ("lhv",)),
    ("longhorn.io", "replicas"): ("Replica", ("lhr",)),
    ("longhorn.io", "engines"): ("Engine", ("lhe",)),
    ("longhorn.io", "nodes"): ("Node", ("lhn",)),
    ("longhorn.io", "settings"): ("Setting", ("lhs",)),
    ("longhorn.io", "backups"): ("Backup", ("lhb",)),
    ("harvesterhci.io", "settings"): ("Setting", ()),
    ("management.cattle.io", "settings"): ("Setting", ()),
}


_CRDS = ("apiextensions.k8s.io", "customresourcedefinitions")
#: the kinds `kubectl get all` lists (the API server's "all" category)
CATEGORY_ALL = frozenset(
    [("", "pods"), ("", "services"), ("", "replicationcontrollers")]
    + [("apps", p) for p in ("deployments", "daemonsets", "statefulsets", "replicasets")]
    + [("batch", "jobs"), ("batch", "cronjobs")]
)


class NotFound(AnalyzerError):
    """A kind or an object the bundle does not hold (the API's 404)."""


class Unreadable(AnalyzerError):
    """A kind whose dump could not be read (too large, not YAML): the reason, not a list that
    would look empty."""


@dataclass(frozen=True)
class Resource:
    """One kind as discovery lists it."""

    group: str
    versions: tuple[str, ...]  # preferred first
    plural: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...]
    #: the printer columns its CRD declares, if the bundle holds it
    printer: tuple[PrinterColumn, ...] = ()

    @property
    def key(self) -> str:
        """The ``Sources.kind`` key: ``plural`` or ``group/plural``."""
        return f"{self.group}/{self.plural}" if self.group else self.plural

    @property
    def singular(self) -> str:
        return self.kind.lower()

    def api_resource(self) -> dict[str, Any]:
        """The APIResource entry of an APIResourceList."""
        entry: dict[str, Any] = {
            "name": self.plural,
            "singularName": self.singular,
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": ["get", "list"],
        }
        if self.short_names:
            entry["shortNames"] = list(self.short_names)
        if (self.group, self.plural) in CATEGORY_ALL:
            entry["categories"] = ["all"]
        return entry


def text(value: Any) -> str:
    """A scalar as the API would print it; "" for null, lists and maps."""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if isinstance(value, (str, int, float)) else ""


def meta(obj: dict[str, Any], field: str) -> str:
    """``metadata.<field>`` of an object as text ("" when absent or not a scalar)."""
    metadata = obj.get("metadata")
    return text(metadata.get(field)) if isinstance(metadata, dict) else ""


class Catalog:
    """The kinds of one bundle and their objects."""

    def __init__(self, sources: Sources, *, redact: bool = True) -> None:
        self.sources = sources
        self.redact = redact
        #: (group, plural) -> (versions, preferred first; namespaced)
        self._found: dict[tuple[str, str], tuple[tuple[str, ...], bool]] = {}
        for (group, plural), dumps in sorted(sources.dumped().items()):
            named = {v or self._version_of(group, plural) for _, v, _ in dumps}
            versions = sorted(named, key=api_version_rank, reverse=True)
            namespaced = any(ns is not None for ns, _, _ in dumps)
            self._found[(group, plural)] = (tuple(versions), namespaced)
        self._made: dict[tuple[str, str], Resource] = {}
        self._crd_facts: dict[tuple[str, str], CrdFacts] | None = None

    def _version_of(self, group: str, plural: str) -> str:
        """The API version of a kind whose dump path does not name it (troubleshoot.sh's
        cluster-resources/): the core group's v1, else its objects' apiVersion."""
        if not group:
            return "v1"
        try:
            items = self.sources.kind(f"{group}/{plural}")
        except Exception:  # an unreadable dump is reported when it is listed, not here
            return "v1"
        api = str(items[0].get("apiVersion", "")) if items and isinstance(items[0], dict) else ""
        return api.rpartition("/")[2] or "v1"

    def _make(self, key: tuple[str, str]) -> Resource:
        # Built on first use: the Kind of a kind not in WELL_KNOWN costs reading its objects,
        # which `get pods` need not pay for the other 150 kinds of a bundle.
        if key not in self._made:
            kind, shorts = WELL_KNOWN.get(key, ("", ()))
            crd = self._crds().get(key) if key[0] else None
            versions, namespaced = self._found[key]
            self._made[key] = Resource(
                key[0],
                versions,
                key[1],
                (crd.kind if crd else kind) or self._kind_of(*key),
                namespaced,
                (crd.short_names if crd else ()) or shorts,
                crd.columns if crd else (),
            )
        return self._made[key]

    def _crds(self) -> dict[tuple[str, str], CrdFacts]:
        """The bundle's CRDs' facts; none when it has no CRD dump or it cannot be read."""
        if self._crd_facts is None:
            try:
                crds = self.sources.kind("/".join(_CRDS)) if _CRDS in self._found else []
            except SourceMissing:  # noted by the sources; the kinds are named from objects
                crds = []
            self._crd_facts = crd_facts([c for c in crds if isinstance(c, dict)])
        return self._crd_facts

    @property
    def resources(self) -> list[Resource]:
        """Every kind of the bundle, by group and plural."""
        return [self._make(key) for key in self._found]

    def _kind_of(self, group: str, plural: str) -> str:
        """The Kind of an unknown kind: its first object's, else guessed from the plural."""
        try:
            first = self.sources.kind(f"{group}/{plural}" if group else plural)[:1]
        except SourceMissing:  # unreadable: noted by the sources; a list request says why
            first = []
        for obj in first:
            kind = obj.get("kind") if isinstance(obj, dict) else None
            if isinstance(kind, str) and kind.isidentifier():
                return kind
        singular = plural[:-3] + "y" if plural.endswith("ies") else plural.removesuffix("s")
        return singular[:1].upper() + singular[1:]

    # -- naming ----------------------------------------------------------------------------------
    def groups(self) -> dict[str, tuple[str, ...]]:
        """API group -> its versions, preferred first ("" is the core group)."""
        versions: dict[str, set[str]] = {}
        for (group, _), (found, _) in self._found.items():
            versions.setdefault(group, set()).update(found)
        return {
            g: tuple(sorted(v, key=api_version_rank, reverse=True))
            for g, v in sorted(versions.items())
        }

    def in_version(self, group: str, version: str) -> list[Resource]:
        return [
            self._make(key)
            for key, (versions, _) in self._found.items()
            if key[0] == group and version in versions
        ]

    def resource(self, group: str, version: str, plural: str) -> Resource:
        found = self._found.get((group, plural))
        if found is None or version not in found[0]:
            raise NotFound(f'the server could not find the requested resource "{plural}"')
        return self._make((group, plural))

    def _names(self, key: tuple[str, str], every: bool) -> set[str]:
        known = WELL_KNOWN.get(key)
        names = {key[1], *(known[1] if known else ())}
        if known:
            names.add(known[0].lower())
        if every:
            names |= {self._make(key).singular, *self._make(key).short_names}
        return names

    def resolve(self, name: str) -> Resource:
        """A kind as a user names it: plural, singular, short name or Kind, optionally
        ``.group`` (``vmi``, ``pods``, ``Setting.harvesterhci.io``, ``volumes.longhorn.io``).
        Plurals and the known names are tried first, the Kinds of other kinds only then."""
        lowered = name.lower()
        for every in (False, True):
            matches = [
                key
                for key in self._found
                if any(lowered in (n, f"{n}.{key[0]}") for n in self._names(key, every))
            ]
            if matches:
                break
        # The core group wins a bare name, as with kubectl (nodes, not longhorn.io nodes).
        core = [key for key in matches if key[0] == ""]
        if core and "." not in lowered:
            return self._make(core[0])
        if len(matches) == 1:
            return self._make(matches[0])
        if not matches:
            raise NotFound(f'the bundle holds no resource type "{name}"')
        options = ", ".join(f"{plural}.{group}" for group, plural in matches)
        raise NotFound(f'"{name}" is ambiguous: name one of {options}')

    # -- objects ---------------------------------------------------------------------------------
    def objects(self, res: Resource, namespace: str | None = None) -> list[dict[str, Any]]:
        """The objects of a kind, in one namespace or all, sorted by namespace and name."""
        try:
            every = self.sources.kind(res.key)
        except SourceMissing as exc:
            raise Unreadable(
                f"could not read {res.plural} from the bundle, because {exc}"
            ) from None
        found = [
            o
            for o in every
            if isinstance(o, dict) and (namespace is None or meta(o, "namespace") == namespace)
        ]
        found.sort(key=lambda o: (meta(o, "namespace"), meta(o, "name")))
        hide = self.redact and (res.group, res.plural) == ("", "secrets")
        return [_hidden(_complete(o, res)) if hide else _complete(o, res) for o in found]

    def get(self, res: Resource, namespace: str | None, name: str) -> dict[str, Any]:
        for obj in self.objects(res, namespace if res.namespaced else None):
            if meta(obj, "name") == name:
                return obj
        raise NotFound(f'{res.plural}{"." + res.group if res.group else ""} "{name}" not found')


def _complete(obj: dict[str, Any], res: Resource) -> dict[str, Any]:
    """The object with its apiVersion and kind, which list items of old dumps lack."""
    if isinstance(obj.get("kind"), str) and isinstance(obj.get("apiVersion"), str):
        return obj
    version = f"{res.group}/{res.versions[0]}" if res.group else res.versions[0]
    return {"apiVersion": version, "kind": res.kind, **obj}


def _hidden(secret: dict[str, Any]) -> dict[str, Any]:
    """A Secret with the values of its data replaced: the one kind that holds secrets by
    design (support-bundle-kit leaves them out; a bundle made otherwise may not)."""
    shown = dict(secret)
    for key in ("data", "stringData"):
        if isinstance(shown.get(key), dict):
            shown[key] = dict.fromkeys(shown[key], REDACTED)
    return shown
