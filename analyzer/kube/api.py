"""The read-only Kubernetes API of one bundle: a request in, a reply out, no sockets.

Discovery (``/api``, ``/apis``, ``/apis/<group>[/<version>]``) lists what the bundle holds;
lists and single objects are served as dumped (as Tables when kubectl asks ``as=Table``),
with label and field selectors; ``pods/<name>/log`` streams the bundle's pod logs. Errors
are Kubernetes ``Status`` objects, as the API server sends them. The HTTP side is server.py.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from analyzer.kube import logs, tables
from analyzer.kube.catalog import Catalog, NotFound, Resource, Unreadable, meta
from analyzer.kube.select import SelectorError, selected
from analyzer.sources import SourceMissing

JSON = "application/json"
_VERSION = re.compile(r"v?(\d+)\.(\d+)")
_EXPONENT = re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$")
_STRING_MAPS = frozenset(("labels", "annotations", "data", "stringData", "binaryData"))
_REASONS = {400: "BadRequest", 404: "NotFound", 405: "MethodNotAllowed", 500: "InternalError"}
#: the methods that would change something; the bundle is a snapshot
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@dataclass
class Reply:
    """What to send: a status code, a content type, the body (bytes or a stream of them)."""

    code: int
    content_type: str
    body: bytes | Iterator[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)


def status(code: int, message: str) -> Reply:
    """An error as the API server words it: a ``Status`` object."""
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": _REASONS.get(code, "Unknown"),
        "code": code,
    }
    return Reply(code, JSON, json.dumps(body).encode())


def as_served(value: Any, key: str = "") -> Any:
    """``value`` with the numbers a dump through JSON wrote in exponent form as integers:
    an image's sizeBytes as 1.194914199e+09 (read as a float) or a pod's priority as 2e+09
    (a string to YAML 1.1, which the readers follow); kubectl refuses both where the API has
    an int64. Maps of strings (labels, annotations, a ConfigMap's data) are left as they are."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, str) and _EXPONENT.match(value) and key not in _STRING_MAPS:
        number = float(value)
        if not math.isfinite(number):
            return value
        return int(number) if number.is_integer() and abs(number) < 2**63 else number
    if isinstance(value, dict):
        if key in _STRING_MAPS:
            return value
        return {k: as_served(v, k if isinstance(k, str) else "") for k, v in value.items()}
    if isinstance(value, list):
        return [as_served(v, key) for v in value]
    return value


def encode(value: Any) -> Reply:
    try:
        # NaN is no JSON; a bundle's YAML may hold .nan, which kubectl could not decode.
        text = json.dumps(as_served(value), allow_nan=False, default=str)
        return Reply(200, JSON, text.encode())
    except ValueError as exc:
        return status(500, f"the bundle's object cannot be encoded as JSON: {exc}")


class BundleApi:
    """The API over one bundle's catalog; ``now`` is the time ages count to."""

    def __init__(self, catalog: Catalog, now: datetime) -> None:
        self.catalog = catalog
        self.now = now

    # -- entry point -----------------------------------------------------------------------------
    def handle(self, method: str, target: str, accept: str = JSON) -> Reply:
        path, _, query_text = target.partition("?")
        if method in WRITE_METHODS:
            return status(405, f"the bundle is read-only: {method} {path[:200]} is not allowed")
        if method not in ("GET", "HEAD"):
            return status(405, f"{method[:20]} is not allowed")
        query = dict(parse_qsl(query_text, keep_blank_values=True))
        parts = [p for p in path.split("/") if p]
        try:
            return self._route(parts, query, accept)
        except NotFound as exc:
            return status(404, str(exc))
        except SelectorError as exc:
            return status(400, str(exc))
        except Unreadable as exc:
            return status(500, str(exc))

    def _route(self, parts: list[str], query: dict[str, str], accept: str) -> Reply:
        if parts == ["version"]:
            return encode(self.version())
        if parts == ["api"]:
            return encode({"kind": "APIVersions", "versions": ["v1"]})
        if parts == ["apis"]:
            return encode(self.group_list())
        if len(parts) == 2 and parts[0] == "apis":
            return encode(self._group(parts[1]))
        if parts[:2] == ["api", "v1"]:
            return self._resources("", "v1", parts[2:], query, accept)
        if len(parts) >= 3 and parts[0] == "apis":
            return self._resources(parts[1], parts[2], parts[3:], query, accept)
        raise NotFound("the server could not find the requested resource")

    # -- discovery -------------------------------------------------------------------------------
    def version(self) -> dict[str, str]:
        try:
            shown = str(self.catalog.sources.get("versions").get("kubernetes") or "")
        except SourceMissing:
            shown = ""
        match = _VERSION.match(shown)
        return {
            "major": match[1] if match else "",
            "minor": match[2] if match else "",
            "gitVersion": shown or "v0.0.0-unknown",
            "platform": "linux/amd64",
        }

    def _group(self, name: str) -> dict[str, Any]:
        versions = self.catalog.groups().get(name)
        if not name or versions is None:
            raise NotFound(f'the bundle holds no API group "{name}"')
        entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
        return {
            "kind": "APIGroup",
            "apiVersion": "v1",
            "name": name,
            "versions": entries,
            "preferredVersion": entries[0],
        }

    def group_list(self) -> dict[str, Any]:
        groups = [self._group(g) for g in self.catalog.groups() if g]
        for group in groups:
            del group["kind"], group["apiVersion"]
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def resource_list(self, group: str, version: str) -> dict[str, Any]:
        found = self.catalog.in_version(group, version)
        if not found and group:
            raise NotFound(f'the bundle holds no API group version "{group}/{version}"')
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": f"{group}/{version}" if group else version,
            "resources": [r.api_resource() for r in found],
        }

    # -- objects ---------------------------------------------------------------------------------
    def _resources(
        self, group: str, version: str, rest: list[str], query: dict[str, str], accept: str
    ) -> Reply:
        if not rest:
            return encode(self.resource_list(group, version))
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        if len(rest) > 3:
            raise NotFound("the server could not find the requested resource")
        res = self.catalog.resource(group, version, rest[0])
        if query.get("watch") in ("1", "true"):
            return status(405, "watch is not served: the bundle is a snapshot")
        if len(rest) == 3:
            if (res.group, res.plural, rest[2]) != ("", "pods", "log"):
                raise NotFound(f'the bundle holds no subresource "{rest[2]}"')
            return self.pod_log(namespace or "default", rest[1], query)
        table = "as=Table" in accept
        if len(rest) == 2:
            obj = self.catalog.get(res, namespace, rest[1])
            return encode(self._table(res, [obj], query) if table else obj)
        items = self.list(res, namespace, query.get("labelSelector"), query.get("fieldSelector"))
        if table:
            return encode(self._table(res, items, query))
        return encode(
            {
                "kind": f"{res.kind}List",
                "apiVersion": f"{group}/{version}" if group else version,
                "metadata": {"resourceVersion": ""},
                "items": items,
            }
        )

    def list(
        self,
        res: Resource,
        namespace: str | None,
        labels: str | None = None,
        fields: str | None = None,
    ) -> list[dict[str, Any]]:
        """The objects of a kind (in one namespace or all) that the selectors select."""
        return selected(self.catalog.objects(res, namespace), labels, fields)

    def _table(self, res: Resource, items: list[dict[str, Any]], query: dict[str, str]) -> Any:
        return tables.table(res, items, self.now, query.get("includeObject", "Metadata"))

    def pod_log(self, namespace: str, pod: str, query: dict[str, str]) -> Reply:
        """``kubectl logs``: the pod must be in the bundle, as with the API server, which
        names the containers to choose from when there are several."""
        obj = self.catalog.get(self.catalog.resolve("pods"), namespace, pod)
        container = query.get("container", "")
        if not container:
            names = _containers(obj) or logs.pod_containers(self.catalog.sources, namespace, pod)
            if len(names) != 1:
                return status(
                    400,
                    f"a container name must be specified for pod {meta(obj, 'name')}, "
                    f"choose one of: [{' '.join(names)}]",
                )
            container = names[0]
        path = logs.pod_log(
            self.catalog.sources, namespace, pod, container, query.get("previous") == "true"
        )
        tail = _number(query.get("tailLines"))
        limit = _number(query.get("limitBytes"))
        return Reply(200, "text/plain", logs.stream(self.catalog.sources, path, tail, limit))


def _containers(pod: dict[str, Any]) -> list[str]:
    spec = pod.get("spec")
    found = spec.get("containers") if isinstance(spec, dict) else None
    if not isinstance(found, list):
        return []
    return [str(c["name"]) for c in found if isinstance(c, dict) and isinstance(c.get("name"), str)]


def _number(value: str | None) -> int | None:
    if value is None or not value.isdigit():
        return None
    return int(value[:12])
