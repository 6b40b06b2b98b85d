"""Evaluating a rule book over a bundle, and the root-cause analysis of what fired.

1. Version gates: a rule whose ``applies_to`` does not cover the cluster is skipped.
2. One pass over the logs: every active rule's matchers are grouped by file, and each file
   is read once for all of them.
3. Rules run in dependency order. Each ends as fired, pass, skip (naming the
   missing input or the dependency that did not fire) or error (naming the rule and what
   broke); one broken rule never stops the others.
4. A fired finding explained by another fired finding is folded under it; the rest are the
   root causes, most severe first, then those that explain the most.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import zipfile
import zlib
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from analyzer._version import __version__
from analyzer.bundle import Bundle, open_bundle
from analyzer.bundle.logscan import HitSink, LogPattern, Scanner, lines_at
from analyzer.bundle.scanpool import ParallelScan
from analyzer.bundle.timestamps import iso, line_time
from analyzer.errors import BundleError
from analyzer.fold import fold
from analyzer.query import options_for
from analyzer.redact import redact_report
from analyzer.report import (
    CollectHint,
    Evidence,
    Finding,
    Report,
    RootCause,
    TimelineEntry,
    UpgradeAdvice,
    severity_rank,
)
from analyzer.rulebook import (
    Condition,
    LogMatcher,
    Rule,
    RuleBook,
    RuleTemplate,
    default_rules_dir,
    load_rules,
)
from analyzer.sources import SourceBroken, SourceMissing, Sources
from analyzer.versions import compare_versions, parse_version

#: evidence items kept per finding; the total is reported beside them
MAX_EVIDENCE = 20
#: timeline entries kept: the latest ones, which lead up to the bundle
MAX_TIMELINE = 200
#: lines shown before and after a cited log line
CONTEXT_LINES = 2
#: a rule's own work (queries, conditions, templates), bundle loading excluded
RULE_BUDGET_SECONDS = 10.0
#: the longest message or remediation a rule may render
MAX_RENDERED = 20_000
_PRODUCT_LABEL = {"harvester": "Harvester", "kubernetes": "Kubernetes", "rancher": "Rancher"}


class _Broken(Exception):
    """A source the rule reads is in the bundle but could not be read (SourceBroken)."""


class _Skip(Exception):
    def __init__(self, kind: str, reason: str, collect: str | None = None) -> None:
        super().__init__(reason)
        self.kind = kind
        self.collect = collect


@dataclass
class _LogResult:
    sink: HitSink = field(default_factory=HitSink)
    files: int = 0
    missing: str | None = None
    collect: str | None = None
    #: files that could not be read: a rule that did not fire cannot say "pass"
    unreadable: list[str] = field(default_factory=list)


@dataclass
class Trace:
    """What one rule saw: each fact's and condition's value, for ``--explain``."""

    steps: list[tuple[str, str, Any]] = field(default_factory=list)

    def add(self, where: str, text: str, value: Any) -> None:
        self.steps.append((where, text, value))


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


#: ``progress(stage, done, total)``: what the analysis is doing; done and total are bytes
#: where the stage can count them, else None
Progress = Callable[[str, "int | None", "int | None"], None]


def _quiet(stage: str, done: int | None, total: int | None) -> None:
    """The progress listener when nobody listens."""


class Analysis:
    """One evaluation of a rule book over one open bundle."""

    def __init__(
        self,
        bundle: Bundle,
        book: RuleBook,
        workers: int | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.bundle = bundle
        self.book = book
        #: told what the analysis is doing, for a progress display (None: nobody listens)
        self.progress: Progress = progress or _quiet
        #: processes scanning the logs (None: one per core; 1: no worker process)
        self.workers = workers
        self.sources = Sources(bundle)
        self.profile = self.sources.profile
        self.options = options_for(self.sources.age_hours)
        # A versions source that could not be built leaves every version unknown (noted):
        # the version-gated rules skip, the others run.
        self.versions = self._optional("versions") or dict.fromkeys(_PRODUCT_LABEL)
        self.created_at = self.sources.created_at()
        self.outcomes: dict[str, Finding] = {}
        #: dated evidence of fired rules, for the timeline
        self.cited: list[tuple[Evidence, str]] = []
        self.traces: dict[str, Trace] = {}
        self._logs: dict[tuple[str, str], _LogResult] = {}

    # -- phase 1: version gates ---------------------------------------------------------------
    def _gate(self, rule: Rule) -> None:
        for product, wanted in rule.applies_to.items():
            label = _PRODUCT_LABEL[product]
            found = self.versions.get(product)
            if not found:
                raise _Skip("missing-input", f"the {label} version is not in the bundle")
            version = parse_version(found)
            if version is None:
                raise _Skip(
                    "not-applicable",
                    f"{label} {found} is not a release version; the rule applies to {wanted.text}",
                )
            if not wanted.contains(version):
                raise _Skip(
                    "not-applicable", f"applies to {label} {wanted.text}; the cluster runs {found}"
                )

    # -- phase 2: one pass over the logs ---------------------------------------------------------
    def log_plan(self, rules: list[Rule]) -> dict[str, dict[Hashable, LogPattern]]:
        """Which patterns to look for in which log file: path -> (rule id, matcher) -> pattern.
        Also records, per matcher, how many files it has, or why it has none."""
        wanted: dict[str, dict[Hashable, LogPattern]] = {}
        for rule in rules:
            for matcher in rule.logs:
                key = (rule.id, matcher.name)
                result = self._logs[key] = _LogResult()
                try:
                    files = self.sources.log_files(matcher.source)
                except SourceMissing as exc:
                    result.missing, result.collect = str(exc), exc.collect
                    continue
                for logical, path in files:
                    if matcher.wants(logical):
                        wanted.setdefault(path, {})[key] = matcher.regex
                        result.files += 1
                if not result.files:
                    result.missing = f"no {matcher.source} file matches {', '.join(matcher.files)}"
        return wanted

    def _scan_logs(self, rules: list[Rule]) -> None:
        wanted = self.log_plan(rules)
        paths = sorted(wanted)

        def scan_one(scanner: Scanner, path: str) -> dict[Hashable, HitSink] | str:
            sinks: dict[Hashable, HitSink] = {}
            try:
                with self.bundle.open(path) as stream:
                    scanner.scan(stream, path, wanted[path], sinks)
            except (BundleError, OSError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
                return str(exc) if isinstance(exc, BundleError) else f"{path}: cannot read ({exc})"
            except MemoryError:
                return f"{path}: not enough memory to scan it"
            return sinks

        # The logs are scanned by worker processes where that pays, while this process
        # builds the sources the rules read: the two costs overlap instead of adding up.
        scan = ParallelScan(paths, [self.bundle.size(p) for p in paths], scan_one, self.workers)
        # The report names the archive by its sha256: hashing runs outside the GIL, so it
        # overlaps with the rest rather than adding to the end (started after the forks).
        hashing = threading.Thread(target=self._digest, daemon=True)
        hashing.start()
        try:
            self.progress("reading objects", None, None)
            self._load_sources(rules)
            result = scan.result(lambda done, total: self.progress("scanning logs", done, total))
        finally:  # stopped early (an error, Ctrl-C, SIGTERM): no helper outlives the run
            scan.close()
        hashing.join()
        for path, why in result.unreadable:
            self.sources.note(why)
            for key in wanted[path]:
                self._logs[key].unreadable.append(why)
        for key, sink in result.sinks.items():
            self._logs[key].sink = sink

    def _digest(self) -> None:
        # A failure is met again, and reported, where the report asks for the digest.
        with contextlib.suppress(OSError, BundleError, zipfile.BadZipFile):
            self.bundle.sha256  # noqa: B018 - computed and cached

    def _load_sources(self, rules: list[Rule]) -> None:
        """Build every source the active rules read (each rule would, one by one, later)."""
        for rule in rules:
            for name in sorted(rule.needs() - {"objects"}):
                with contextlib.suppress(SourceMissing):
                    self.sources.get(name)
            for kind in sorted(rule.object_kinds):
                with contextlib.suppress(SourceMissing):
                    self.sources.kind(kind)

    def _hit_records(self, matcher: LogMatcher, result: _LogResult) -> list[dict[str, Any]]:
        records = []
        for hit in result.sink.hits():
            stamp = iso(line_time(hit.text, self.created_at))
            record: dict[str, Any] = {
                "path": hit.path,
                "line": hit.line,
                "text": hit.text,
                "time": stamp,
                "groups": hit.groups,
                **self.sources.log_origin(matcher.source, hit.path),
            }
            records.append(
                self.sources.remember(record, hit.path, hit.line, hit.text, stamp, hit.span)
            )
        return records

    # -- phase 3: rules -----------------------------------------------------------------------
    def active_rules(self) -> list[Rule]:
        """The rules that apply to this cluster's versions, in graph order; the others are
        recorded as skipped."""
        active = []
        for rule_id in self.book.order():
            rule = self.book.rules[rule_id]
            try:
                self._gate(rule)
                active.append(rule)
            except _Skip as skip:
                self.outcomes[rule.id] = _skipped(rule, skip)
        return active

    def run(self) -> None:
        active = self.active_rules()
        with self.profile.phase("scan logs"):
            self._scan_logs(active)
        self.progress("evaluating rules", None, None)
        with self.profile.phase("rules"):
            self._evaluate_all(active)
        self.progress("reading context", None, None)
        with self.profile.phase("context"):
            self._add_context()

    def _add_context(self) -> None:
        """Give each cited log line the lines around it, read again from its file.

        Only the few lines the fired findings cite are read, after the rules ran (which
        hits matter is known only then); a file is read once, up to the last line needed.
        """

        def around(line: int) -> range:
            return range(max(1, line - CONTEXT_LINES), line + CONTEXT_LINES + 1)

        wanted: dict[str, set[int]] = {}
        for finding in self.outcomes.values():
            for e in finding.evidence:
                if e.span is not None and e.line:
                    wanted.setdefault(e.path, set()).update(around(e.line))
        text: dict[str, dict[int, str]] = {}
        for path in sorted(wanted):
            try:
                with self.bundle.open(path) as stream:
                    text[path] = lines_at(stream, wanted[path])
            except (BundleError, OSError, zipfile.BadZipFile, zlib.error, EOFError):
                continue  # the scan met it already; the evidence simply has no context

        def framed(e: Evidence) -> Evidence:
            lines = text.get(e.path)
            if not lines or e.span is None or not e.line:
                return e
            before = tuple(lines[n] for n in around(e.line) if n < e.line and n in lines)
            after = tuple(lines[n] for n in around(e.line) if n > e.line and n in lines)
            return replace(e, before=before, after=after)

        for rule_id, finding in self.outcomes.items():
            if any(e.path in text for e in finding.evidence):
                self.outcomes[rule_id] = replace(
                    finding, evidence=tuple(framed(e) for e in finding.evidence)
                )

    def _evaluate_all(self, active: list[Rule]) -> None:
        for rule in active:
            with self.profile.timed(self.profile.rules, rule.id):
                self._evaluate_one(rule)

    def _evaluate_one(self, rule: Rule) -> None:
        trace = self.traces[rule.id] = Trace()
        try:
            self.outcomes[rule.id] = self._evaluate(rule, trace)
        except _Skip as skip:
            self.outcomes[rule.id] = _skipped(rule, skip)
        except _Broken as broken:
            self.outcomes[rule.id] = _errored(rule, f"could not evaluate, because {broken}")
        # jmespath type errors, template errors, anything else: one broken rule is an
        # error outcome for that rule and never stops the others.
        except Exception as exc:
            self.outcomes[rule.id] = _errored(rule, f"{type(exc).__name__}: {exc}")

    def _root(self, rule: Rule) -> dict[str, Any]:
        for dependency in rule.requires:
            outcome = self.outcomes[dependency]
            if not outcome.fired:
                raise _Skip(
                    "dependency", f"needs {dependency}, which did not fire ({outcome.status})"
                )
        root: dict[str, Any] = {}
        for name in sorted(rule.needs() - {"objects"}):
            try:
                root[name] = self.sources.get(name)
            except SourceBroken as exc:  # present but unreadable: not a pass, not a skip
                raise _Broken(str(exc)) from None
            except SourceMissing as exc:
                if name in rule.optional_sources:
                    root[name] = None
                else:
                    raise _Skip("missing-input", str(exc), exc.collect) from None
        if rule.object_kinds:
            objects: dict[str, Any] = {}
            for kind in sorted(rule.object_kinds):
                try:
                    objects[kind] = self.sources.kind(kind)
                except SourceBroken as exc:
                    raise _Broken(str(exc)) from None
                except SourceMissing as exc:
                    if "objects" not in rule.optional_sources:
                        raise _Skip("missing-input", str(exc), exc.collect) from None
                    objects[kind] = None
            root["objects"] = objects
        return root

    def _evaluate(self, rule: Rule, trace: Trace) -> Finding:
        root = self._root(rule)
        with _time_budget(RULE_BUDGET_SECONDS):
            return self._evaluate_loaded(rule, root, trace)

    def _evaluate_loaded(self, rule: Rule, root: dict[str, Any], trace: Trace) -> Finding:
        unreadable: list[str] = []
        for matcher in rule.logs:
            result = self._logs[(rule.id, matcher.name)]
            if result.missing and not matcher.optional:
                raise _Skip("missing-input", result.missing, result.collect)
            unreadable += result.unreadable
            hits = self._hit_records(matcher, result)
            count = result.sink.count
            root[matcher.name] = hits if count >= matcher.min else []
            trace.add(
                f"logs.{matcher.name}",
                matcher.pattern,
                f"{count} matching lines in {result.files} files (min {matcher.min})",
            )
        for name, query in rule.facts:
            root[name] = query.search(root, self.options)
            trace.add(f"facts.{name}", query.text, root[name])
        cited: list[Any] = []
        fired = self._holds(rule.when, root, trace, cited)
        if not fired and unreadable:
            raise _Skip("missing-input", "could not read " + "; ".join(sorted(set(unreadable))))
        if not fired:
            return Finding(
                rule.id,
                rule.title,
                rule.severity,
                rule.category,
                "pass",
                references=rule.references,
            )
        if rule.evidence:
            cited = [query.search(root, self.options) for query in rule.evidence]
        evidence = [
            self.sources.version_refs[p] for p in rule.applies_to if p in self.sources.version_refs
        ]
        for value in cited:
            evidence += self._cite(value)
        evidence = list(dict.fromkeys(evidence))
        self.cited += [(e, rule.id) for e in evidence if e.time]
        context = {
            **root,
            "versions": self.versions,
            "rule": {"id": rule.id, "title": rule.title},
            "age_hours": self.sources.age_hours,
        }
        context.setdefault("metadata", self._optional("metadata"))
        return Finding(
            rule.id,
            rule.title,
            rule.severity,
            rule.category,
            "fired",
            message=_render(rule.message, context),
            remediation=_render(rule.remediation, context),
            references=rule.references,
            evidence=tuple(evidence[:MAX_EVIDENCE]),
            evidence_total=len(evidence),
            fixed_in=_fixed_in(rule),
        )

    def _optional(self, name: str) -> Any:
        try:
            return self.sources.get(name)
        except SourceMissing:
            return None

    def _holds(self, cond: Condition, root: dict[str, Any], trace: Trace, cited: list[Any]) -> bool:
        """Evaluate a condition; what the true leaves read is collected as evidence."""
        if cond.op == "query":
            assert cond.query is not None
            value = cond.query.search(root, self.options)
            truthy = _truthy(value)
            trace.add(f"{cond.where} ({'true' if truthy else 'false'})", cond.query.text, value)
            if truthy:
                cited.append(value)
                cited.extend(root[name] for name in sorted(cond.query.names) if name in root)
            return truthy
        if cond.op == "not":
            holds = not self._holds(cond.children[0], root, trace, [])
            trace.add(f"{cond.where} ({'true' if holds else 'false'})", "not", holds)
            return holds
        results = (self._holds(child, root, trace, cited) for child in cond.children)
        # Evaluate every child (no short-circuit) so that --explain shows them all.
        values = list(results)
        return all(values) if cond.op == "all" else any(values)

    def _cite(self, value: Any, budget: list[int] | None = None) -> Iterator[Evidence]:
        """The records inside ``value`` that a source can place (file and line)."""
        budget = budget if budget is not None else [1000]
        if budget[0] <= 0:
            return
        where = self.sources.cite(value) if isinstance(value, dict) else None
        if where is not None:
            budget[0] -= 1
            yield where
        elif isinstance(value, dict):
            for item in value.values():
                yield from self._cite(item, budget)
        elif isinstance(value, list):
            for item in value:
                yield from self._cite(item, budget)

    # -- phase 4: root causes ---------------------------------------------------------------------
    def report(self, now: datetime | None = None) -> Report:
        fired = {rid for rid, f in self.outcomes.items() if f.fired}
        explains, explained_by = fold(self.book.explains_graph(), fired, self._rank)
        findings = []
        for rule_id, finding in self.outcomes.items():
            if rule_id in fired:
                finding = replace(
                    finding, explains=explains[rule_id], explained_by=explained_by[rule_id]
                )
            findings.append(finding)
        findings.sort(key=Finding.sort_key)
        roots = sorted(
            (f for f in findings if f.fired and not f.explained_by),
            key=lambda f: (severity_rank(f.severity), -len(f.explains), f.rule_id),
        )
        return Report(
            bundle=self.sources.bundle_info(),
            findings=tuple(findings),
            root_causes=tuple(RootCause(f.rule_id, f.explains) for f in roots),
            generated_at=run_time(now),
            tool_version=__version__,
            rules_loaded=len(self.book.rules),
            rule_pack=self.book.identity(),
            collect_next=self._collect_next(findings),
            upgrade=self._upgrade(findings),
            timeline=self._timeline(),
        )

    def _collect_next(self, findings: list[Finding]) -> tuple[CollectHint, ...]:
        """What rules could not evaluate and what collection-gap rules found, and how to get it."""
        wanted: dict[str, tuple[set[str], set[str]]] = {}
        for finding in findings:
            if finding.collect:
                how, missing = finding.collect, finding.message
            elif finding.fired and finding.category == "bundle":
                how, missing = finding.remediation, " ".join(finding.message.split())
            else:
                continue
            what, ids = wanted.setdefault(how, (set(), set()))
            what.add(missing)
            ids.add(finding.rule_id)
        return tuple(
            CollectHint(tuple(sorted(what)), how, tuple(sorted(ids)))
            for how, (what, ids) in sorted(wanted.items())
        )

    def _upgrade(self, findings: list[Finding]) -> UpgradeAdvice | None:
        """The newest release that the fired findings' rules name as their fix, if newer."""
        running = self.versions.get("harvester")
        fixes: dict[str, list[str]] = {}
        for finding in findings:
            target = self.book.rules[finding.rule_id].fixed_in.get("harvester")
            newer = compare_versions(running, target)
            if finding.fired and target and newer in (-1, None):
                fixes.setdefault(target, []).append(finding.rule_id)
        if not fixes:
            return None
        best = max(fixes, key=lambda v: parse_version(v) or parse_version("0"))
        every = sorted({rid for ids in fixes.values() for rid in ids})
        return UpgradeAdvice("Harvester", best, tuple(every))

    def _timeline(self) -> tuple[TimelineEntry, ...]:
        """Cited log lines and Warning events of all nodes, in time order, the latest kept.

        A line is listed once: an event a rule cites carries that rule, a line cited by
        several rules the first of them (in evaluation order).
        """
        entries: dict[tuple[str, int | None], TimelineEntry] = {}
        try:
            events = self.sources.get("events")
        except SourceMissing:
            events = []
        for event in events:
            where = self.sources.cite(event)
            if event["type"] == "Warning" and where is not None and where.time:
                origin = f"{event['kind']} {event['namespace'] or ''}/{event['name']}"
                entries[(where.path, where.line)] = TimelineEntry(
                    where.time, origin, where.path, where.line, where.excerpt
                )
        for evidence, rule_id in self.cited:
            key = (evidence.path, evidence.line)
            known = entries.get(key)
            if known is None:
                origin = self.sources.origin(evidence.path)
                entries[key] = TimelineEntry(
                    evidence.time or "",
                    origin,
                    evidence.path,
                    evidence.line,
                    evidence.excerpt,
                    rule_id,
                )
            elif not known.rule_id:
                entries[key] = replace(known, rule_id=rule_id)
        return tuple(sorted(entries.values())[-MAX_TIMELINE:])

    def _rank(self, rule_id: str) -> tuple[int, str]:
        return (severity_rank(self.book.rules[rule_id].severity), rule_id)


def _truthy(value: Any) -> bool:
    # jmespath's notion of truth: false, null, empty list/object/string are false; 0 is true.
    return not (value is None or value is False or value in ("", [], {}))


def _render(template: RuleTemplate, context: dict[str, Any]) -> str:
    """Render chunk by chunk so that a runaway template stops at MAX_RENDERED, not at OOM."""
    chunks, size = [], 0
    for chunk in template.generate(context):
        size += len(chunk)
        if size > MAX_RENDERED:
            raise RuleRunaway(f"its template renders more than {MAX_RENDERED} characters")
        chunks.append(chunk)
    return "".join(chunks).strip()


class RuleRunaway(Exception):
    """A rule that takes too long or renders too much."""


@contextmanager
def _time_budget(seconds: float) -> Iterator[None]:
    """Interrupt a rule's own work (queries, templates) after ``seconds``.

    A SIGALRM timer interrupts pure-Python loops such as a template nested a million deep;
    RE2 and the YAML parser are outside it (they are linear, and loading is not the rule's
    doing). Signals only reach the main thread, so elsewhere the budget is not enforced.
    """
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise RuleRunaway(f"it ran for more than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _fixed_in(rule: Rule) -> str | None:
    return ", ".join(f"{_PRODUCT_LABEL[p]} {v}" for p, v in rule.fixed_in.items()) or None


def _skipped(rule: Rule, skip: _Skip) -> Finding:
    return Finding(
        rule.id,
        rule.title,
        rule.severity,
        rule.category,
        "skip",
        message=str(skip),
        references=rule.references,
        skip_kind=skip.kind,
        collect=skip.collect,
    )


def _errored(rule: Rule, reason: str) -> Finding:
    return Finding(
        rule.id,
        rule.title,
        rule.severity,
        rule.category,
        "error",
        message=f"rule {rule.id} ({rule.path}) failed: {reason}",
        references=rule.references,
    )


def analyze(
    bundle: Bundle | Path | str | Sequence[Path | str],
    rules: RuleBook | Path | str | None = None,
    *,
    now: datetime | None = None,
    redact: bool = True,
    profile: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Report:
    """Analyze one bundle (or the parts of a split one) with a rule book (default: the
    shipped rule pack). Secrets in what the report quotes are redacted unless ``redact`` is
    False; ``profile`` adds where the time went (not deterministic, so off by default);
    ``workers`` caps the processes scanning logs (default one per core; the report is the
    same whatever the number); ``progress`` is told what the analysis is doing."""
    book = rules if isinstance(rules, RuleBook) else load_rules(rules or default_rules_dir())
    if isinstance(bundle, Bundle):
        return _analyze_open(bundle, book, now, redact, profile, workers, progress)
    if progress is not None:
        progress("opening the bundle", None, None)
    with open_bundle(bundle) as opened:
        return _analyze_open(opened, book, now, redact, profile, workers, progress)


def _analyze_open(
    bundle: Bundle,
    book: RuleBook,
    now: datetime | None,
    redact: bool,
    profile: bool,
    workers: int | None,
    progress: Progress | None = None,
) -> Report:
    analysis = Analysis(bundle, book, workers, progress)
    analysis.run()
    with analysis.profile.phase("report"):
        report = analysis.report(now)
    if redact:
        with analysis.profile.phase("redact"):
            report = redact_report(report)
    return replace(report, profile=analysis.profile.as_dict()) if profile else report
