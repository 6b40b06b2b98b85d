"""The report as JUnit XML, for CI: a pipeline that analyzes a fleet of bundles shows each rule
as a test, one suite per rule category.

A fired rule is a failure (its message, the evidence in the body), a skipped rule is skipped
with its reason, a rule that broke is an error, a rule that passed a passed test. The layout
is the one CI systems read (Jenkins, GitLab, GitHub actions' reporters; the common schema):
``<testsuites><testsuite><testcase><failure|skipped|error/>``.

XML 1.0 cannot carry most C0 control characters, even escaped: a bundle's log line holding
one would make the document unreadable. Every string goes through ``visible`` (controls shown
as their code point, as in the other formats) and whatever XML still refuses (lone surrogates,
U+FFFE, U+FFFF) is replaced; ElementTree escapes the rest.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from analyzer.render.escape import visible
from analyzer.report import Finding, Report

#: what XML 1.0 does not allow once ``visible`` has shown the controls (Char production)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: Any) -> str:
    """``text`` as XML 1.0 can hold it: controls shown, non-characters replaced."""
    return _NOT_XML.sub("\ufffd", visible(text))


def _body(finding: Finding) -> str:
    lines = [finding.message, ""]
    lines += [f"{e.location()}: {e.excerpt}" for e in finding.evidence]
    if finding.evidence_total > len(finding.evidence):
        lines.append(f"... {finding.evidence_total - len(finding.evidence)} more")
    if finding.remediation:
        lines += ["", "Remediation:", finding.remediation]
    return xml_text("\n".join(lines).strip())


def _case(suite: ET.Element, finding: Finding) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        name=xml_text(finding.rule_id),
        classname=xml_text(f"{finding.category}.{finding.rule_id}"),
        time="0",
    )
    if finding.fired and finding.acknowledged is not None:
        # Acknowledged (--ack): known and accepted, so it does not fail the pipeline either.
        reason = f"acknowledged: {finding.acknowledged}"
        ET.SubElement(case, "skipped", message=xml_text(reason)).text = _body(finding)
    elif finding.status == "fired":
        failure = ET.SubElement(
            case, "failure", message=xml_text(finding.message), type=finding.severity
        )
        failure.text = _body(finding)
    elif finding.status == "skip":
        ET.SubElement(case, "skipped", message=xml_text(finding.message))
    elif finding.status == "error":
        ET.SubElement(case, "error", message=xml_text(finding.message), type="error")


def render_junit(report: Report) -> str:
    """The JUnit XML document of a report (acknowledged findings are skipped tests)."""
    by_category: dict[str, list[Finding]] = {}
    for finding in sorted(report.findings, key=lambda f: (f.category, f.rule_id)):
        by_category.setdefault(finding.category, []).append(finding)
    root = ET.Element("testsuites", name=xml_text(f"bundle-analyzer {report.bundle.name}"))
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for category, findings in by_category.items():
        suite = ET.SubElement(root, "testsuite", name=xml_text(category))
        for finding in findings:
            _case(suite, finding)
        counts = {
            "tests": len(findings),
            "failures": len(suite.findall("testcase/failure")),
            "errors": len(suite.findall("testcase/error")),
            "skipped": len(suite.findall("testcase/skipped")),
        }
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("time", "0")
        suite.set("timestamp", report.generated_at.removesuffix("Z"))
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
