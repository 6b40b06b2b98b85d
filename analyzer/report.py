"""What an analysis produces: immutable records, ordered the same way on every run."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone

from analyzer.versions import Version, parse_version

SCHEMA_VERSION = "2.1"

#: most severe first; the index is the rank
SEVERITIES = ("critical", "high", "medium", "low", "info")
#: a rule fires or it does not; how bad a fired finding is, is its severity alone (so a rule's
#: severity can change without changing its outcome); the others say why nothing was reported
STATUSES = ("fired", "error", "skip", "pass")
#: why a rule was skipped: the report lists each kind apart
SKIP_KINDS = ("missing-input", "dependency", "not-applicable", "disabled")


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


def _version_key(text: str) -> tuple[bool, Version | None, str]:
    # A text that is no version (a dev build) sorts before every version, then by its text.
    parsed = parse_version(text)
    return (True, parsed, text) if parsed else (False, None, text)


@dataclass(frozen=True, order=True)
class Evidence:
    """One cited place: a log line, an object in a YAML dump, a config file."""

    path: str
    line: int | None
    excerpt: str
    time: str | None = None
    #: a log line: where the pattern matched in ``excerpt`` (characters), to highlight it
    span: tuple[int, int] | None = None
    #: a log line: the lines just before and after it in its file
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()

    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class Finding:
    rule_id: str
    title: str
    severity: str
    category: str
    status: str
    #: fired: what is wrong and why; skip/error: the reason the rule could not tell
    message: str = ""
    remediation: str = ""
    references: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    #: how many places matched; evidence holds a bounded sample of them
    evidence_total: int = 0
    skip_kind: str | None = None
    #: fired findings this one explains (transitively) and the ones that explain it
    explains: tuple[str, ...] = ()
    explained_by: tuple[str, ...] = ()
    #: the first version that fixes it, where the rule knows one
    fixed_in: str | None = None
    #: skipped for want of input: how to collect it
    collect: str | None = None
    #: fired but acknowledged (--ack): the reason; it does not count for --fail-on
    acknowledged: str | None = None

    @property
    def fired(self) -> bool:
        return self.status == "fired"

    def sort_key(self) -> tuple:
        return (STATUSES.index(self.status), severity_rank(self.severity), self.rule_id)


@dataclass(frozen=True)
class NodeInfo:
    name: str
    ready: str | None
    kubelet_version: str | None
    os_image: str | None
    roles: tuple[str, ...]
    has_node_zip: bool
    harvester_version: str | None = None

    def version(self, product: str) -> str | None:
        """Its version of ``product``, one of VERSIONED."""
        return self.harvester_version if product == "harvester" else self.kubelet_version


#: the products each node has its own version of, and how the header names them
VERSIONED = {"harvester": "Harvester", "kubernetes": "Kubernetes"}


@dataclass(frozen=True)
class BundleInfo:
    name: str
    sha256: str
    created_at: str | None
    kubernetes_version: str | None
    harvester_version: str | None
    rancher_version: str | None
    nodes: tuple[NodeInfo, ...]
    #: what the reader had to skip or could not read (entries refused, unreadable files)
    notes: tuple[str, ...] = ()

    def version_mix(self, product: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The versions of ``product`` (one of VERSIONED) the nodes run, each with its nodes,
        most nodes first (then the newest): more than one during an upgrade."""
        by_version: dict[str, list[str]] = {}
        for node in self.nodes:
            if node.version(product):
                by_version.setdefault(str(node.version(product)), []).append(node.name)
        newest_first = sorted(by_version, key=lambda v: _version_key(v), reverse=True)
        ordered = sorted(newest_first, key=lambda v: -len(by_version[v]))
        return tuple((v, tuple(by_version[v])) for v in ordered)

    def odd_nodes(self, product: str) -> tuple[str, ...]:
        """The nodes whose version of ``product`` is not the one most nodes run."""
        return tuple(name for _, names in self.version_mix(product)[1:] for name in names)

    def shown_version(self, product: str) -> str:
        """The header's version: "mixed: v1.5.0 (2), v1.4.2 (1)" when nodes differ, else the
        cluster's (a Harvester release names one version even mid-upgrade)."""
        mix = self.version_mix(product)
        if len(mix) > 1:
            return "mixed: " + ", ".join(f"{v} ({len(names)})" for v, names in mix)
        version = self.harvester_version if product == "harvester" else self.kubernetes_version
        return version or "unknown"


@dataclass(frozen=True)
class RootCause:
    rule_id: str
    explains: tuple[str, ...]


@dataclass(frozen=True)
class CollectHint:
    """What the bundle lacks for some rules, and how to get it."""

    missing: tuple[str, ...]
    how: str
    rule_ids: tuple[str, ...]


@dataclass(frozen=True)
class UpgradeAdvice:
    """The release that fixes the fired findings whose fix the rules know."""

    product: str
    version: str
    fixes: tuple[str, ...]


@dataclass(frozen=True)
class UpgradeNode:
    """One node's place in an upgrade: its phase, since when, and the job of that phase."""

    node: str
    state: str | None
    since: str | None
    #: what ``since`` was read from (job start, job completion ...): the Upgrade has no times
    since_from: str | None
    message: str | None
    job: str | None
    #: prepare, pre-drain, post-drain or single-node-upgrade
    job_type: str | None
    pod: str | None
    log: str | None


@dataclass(frozen=True)
class UpgradeProgress:
    """The bundle's current Harvester upgrade, node by node."""

    name: str
    version: str | None
    previous_version: str | None
    state: str | None
    phase: str | None
    created: str | None
    finished: bool
    nodes: tuple[UpgradeNode, ...]


@dataclass(frozen=True, order=True)
class TimelineEntry:
    """One dated line: a log line a finding cites, or a Warning event."""

    time: str
    origin: str  # the node, namespace/pod, or the object an event is about
    path: str
    line: int | None
    text: str
    rule_id: str = ""  # empty for an event no rule cited


@dataclass(frozen=True)
class Report:
    bundle: BundleInfo
    findings: tuple[Finding, ...]
    root_causes: tuple[RootCause, ...]
    generated_at: str
    tool_version: str
    rules_loaded: int
    collect_next: tuple[CollectHint, ...] = ()
    upgrade: UpgradeAdvice | None = None
    timeline: tuple[TimelineEntry, ...] = ()
    #: the latest Upgrade object's progress; None when the bundle has none
    upgrade_progress: UpgradeProgress | None = None
    #: secrets replaced by [REDACTED]; None when redaction was turned off
    redactions: int | None = None
    #: seconds per phase, source and rule, when profiling was asked for
    profile: dict[str, dict[str, float]] | None = None
    #: which rules judged the bundle: the pack's name and the sha256 of its rule files
    rule_pack: tuple[str, str] = ("", "")
    #: with --ack: the ack entries that matched nothing or expired (None: no ack file)
    ack_notes: tuple[str, ...] | None = None
    schema_version: str = SCHEMA_VERSION

    def finding(self, rule_id: str) -> Finding:
        return next(f for f in self.findings if f.rule_id == rule_id)

    @property
    def fired(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.fired)

    def worst_severity(self) -> str | None:
        ranks = [severity_rank(f.severity) for f in self.fired]
        return SEVERITIES[min(ranks)] if ranks else None


def exit_code(report: Report, fail_on: str) -> int:
    """1 when a finding of ``fail_on``'s severity or worse fired and is not acknowledged,
    else 0 (``none``: 0)."""
    if fail_on == "none":
        return 0
    threshold = severity_rank(fail_on)
    counted = (f for f in report.fired if f.acknowledged is None)
    return 1 if any(severity_rank(f.severity) <= threshold for f in counted) else 0


def run_time(now: datetime | None = None) -> str:
    """The time printed in reports: ``now``, else SOURCE_DATE_EPOCH (reproducible runs)."""
    if now is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        now = (
            datetime.fromtimestamp(int(epoch), tz=timezone.utc)
            if epoch and epoch.isdigit()
            else datetime.now(timezone.utc)
        )
    return now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
