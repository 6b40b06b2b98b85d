"""Evaluating a rule book over the sources of a bundle; the engine never opens the bundle.

1. Version gates: a rule whose ``applies_to`` does not cover the cluster is skipped.
2. The log hits of every active rule's matchers, from one pass over the logs (sources/logs.py),
   while the other sources the rules read are built.
3. Rules run in dependency order. Each ends as fired, pass, skip (naming the
   missing input or the dependency that did not fire) or error (naming the rule and what
   broke); one broken rule never stops the others.
4. The outcomes are assembled into a report (assemble.py): root causes, what to collect next.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analyzer import applicability
from analyzer.assemble import assemble
from analyzer.budget import render_bounded, time_budget
from analyzer.query import options_for
from analyzer.redact import redact_report
from analyzer.report import Evidence, Finding, Report
from analyzer.rulebook import RuleBook, default_rules_dir, load_rules
from analyzer.ruleparse import Condition, Rule
from analyzer.sources import SourceBroken, SourceMissing, Sources, logs, open_sources
from analyzer.versions import parse_version

if TYPE_CHECKING:
    from analyzer.bundle import Bundle

#: evidence items kept per finding; the total is reported beside them
MAX_EVIDENCE = 20
#: lines shown before and after a cited log line
CONTEXT_LINES = 2
#: a rule's own work (queries, conditions, templates), bundle loading excluded
RULE_BUDGET_SECONDS = 10.0
_PRODUCT_LABEL = {"harvester": "Harvester", "kubernetes": "Kubernetes", "rancher": "Rancher"}


class _Broken(Exception):
    """A source the rule reads is in the bundle but could not be read (SourceBroken)."""


class _Skip(Exception):
    def __init__(self, kind: str, reason: str, collect: str | None = None) -> None:
        super().__init__(reason)
        self.kind = kind
        self.collect = collect


@dataclass
class Trace:
    """What one rule saw: each fact's and condition's value, for ``--explain``."""

    steps: list[tuple[str, str, Any]] = field(default_factory=list)

    def add(self, where: str, text: str, value: Any) -> None:
        self.steps.append((where, text, value))


#: ``progress(stage, done, total)``: what the analysis is doing; done and total are bytes
#: where the stage can count them, else None
Progress = Callable[[str, "int | None", "int | None"], None]


def _quiet(stage: str, done: int | None, total: int | None) -> None:
    """The progress listener when nobody listens."""


class Analysis:
    """One evaluation of a rule book over the sources of one open bundle."""

    def __init__(
        self,
        sources: Sources,
        book: RuleBook,
        workers: int | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.book = book
        #: told what the analysis is doing, for a progress display (None: nobody listens)
        self.progress: Progress = progress or _quiet
        #: processes scanning the logs (None: one per core; 1: no worker process)
        self.workers = workers
        self.sources = sources
        self.profile = self.sources.profile
        self.options = options_for(self.sources.age_hours)
        # A versions source that could not be built leaves every version unknown (noted):
        # the version-gated rules skip, the others run.
        self.versions = self._optional("versions") or dict.fromkeys(_PRODUCT_LABEL)
        self.outcomes: dict[str, Finding] = {}
        #: dated evidence of fired rules, for the timeline
        self.cited: list[tuple[Evidence, str]] = []
        self.traces: dict[str, Trace] = {}
        self._logs: dict[Hashable, logs.LogMatches] = {}

    # -- phase 1: version gates ---------------------------------------------------------------
    def _gate(self, rule: Rule) -> None:
        if rule.id in self.book.disabled:
            raise _Skip("disabled", "disabled by --disable")
        if refused := applicability.refusal(rule, self.sources):
            raise _Skip("not-applicable", refused)
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

    # -- phase 2: the rules, after one pass over the logs ------------------------------------
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
                self.outcomes[rule.id] = _skipped(rule, skip, self.sources)
        return active

    def run(self) -> None:
        active = self.active_rules()
        with self.profile.phase("scan logs"):
            matchers = {(r.id, m.name): m for r in active for m in r.logs}
            self._logs = logs.scan(
                self.sources,
                matchers,
                self.workers,
                lambda: self._load_sources(active),
                lambda done, total: self.progress("scanning logs", done, total),
            )
        self.progress("evaluating rules", None, None)
        with self.profile.phase("rules"):
            self._evaluate_all(active)
        self.progress("reading context", None, None)
        with self.profile.phase("context"):
            self._add_context()

    def _add_context(self) -> None:
        """Give each cited log line the lines around it (known only once the rules ran)."""
        cited = [e for finding in self.outcomes.values() for e in finding.evidence]
        framed = logs.framed(self.sources, cited, CONTEXT_LINES)
        for rule_id, finding in self.outcomes.items():
            if any(e in framed for e in finding.evidence):
                evidence = tuple(framed.get(e, e) for e in finding.evidence)
                self.outcomes[rule_id] = replace(finding, evidence=evidence)

    def _load_sources(self, rules: list[Rule]) -> None:
        """Build every source the active rules read (each rule would, one by one, later)."""
        self.progress("reading objects", None, None)
        for rule in rules:
            for name in sorted(rule.needs() - {"objects"}):
                with contextlib.suppress(SourceMissing):
                    self.sources.get(name)
            for kind in sorted(rule.object_kinds):
                with contextlib.suppress(SourceMissing):
                    self.sources.kind(kind)

    def _evaluate_all(self, active: list[Rule]) -> None:
        for rule in active:
            with self.profile.timed(self.profile.rules, rule.id):
                self._evaluate_one(rule)

    def _evaluate_one(self, rule: Rule) -> None:
        trace = self.traces[rule.id] = Trace()
        try:
            self.outcomes[rule.id] = self._evaluate(rule, trace)
        except _Skip as skip:
            self.outcomes[rule.id] = _skipped(rule, skip, self.sources)
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
        with time_budget(RULE_BUDGET_SECONDS):
            return self._evaluate_loaded(rule, root, trace)

    def _evaluate_loaded(self, rule: Rule, root: dict[str, Any], trace: Trace) -> Finding:
        unreadable: list[str] = []
        age = self.sources.age_hours
        undated = self.sources.created_at() is None
        for matcher in rule.logs:
            result = self._logs[(rule.id, matcher.name)]
            if result.missing and not matcher.optional:
                raise _Skip("missing-input", str(result.missing), result.missing.collect)
            unreadable += result.unreadable
            hits = logs.hit_records(self.sources, result)
            count = result.sink.count
            window = ""
            if matcher.within is not None:
                hits = matcher.within.keep(hits, lambda hit: hit["time"], age)
                count = len(hits)
                window = matcher.within.note(undated)
            root[matcher.name] = hits if count >= matcher.min else []
            trace.add(
                f"logs.{matcher.name}",
                matcher.pattern,
                f"{count} matching lines{window} in {result.files} files (min {matcher.min})",
            )
        for fact in rule.facts:
            root[fact.name] = fact.value(root, self.options, age)
            window = fact.within.note(undated) if fact.within else ""
            trace.add(f"facts.{fact.name}{window}", fact.query.text, root[fact.name])
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
            message=render_bounded(rule.message, context),
            remediation=render_bounded(rule.remediation, context),
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


def _truthy(value: Any) -> bool:
    # jmespath's notion of truth: false, null, empty list/object/string are false; 0 is true.
    return not (value is None or value is False or value in ("", [], {}))


def _fixed_in(rule: Rule) -> str | None:
    return ", ".join(f"{_PRODUCT_LABEL[p]} {v}" for p, v in rule.fixed_in.items()) or None


def _skipped(rule: Rule, skip: _Skip, sources: Sources) -> Finding:
    return Finding(
        rule.id,
        rule.title,
        rule.severity,
        rule.category,
        "skip",
        message=str(skip),
        references=rule.references,
        skip_kind=skip.kind,
        collect=applicability.collect_hint(skip.collect, sources),
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
    if progress is not None:
        progress("opening the bundle", None, None)
    with open_sources(bundle) as sources:
        analysis = Analysis(sources, book, workers, progress)
        analysis.run()
        with analysis.profile.phase("report"):
            report = assemble(analysis.sources, book, analysis.outcomes, analysis.cited, now)
    if redact:
        with analysis.profile.phase("redact"):
            report = redact_report(report)
    return replace(report, profile=analysis.profile.as_dict()) if profile else report
