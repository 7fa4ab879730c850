"""Render a rule test report as text, JSON, GitHub annotations or JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import defaultdict

from actionplane.rules.testing import RuleTestReport, RuleTestResult


def _where(result: RuleTestResult) -> str:
    location = result.test.location
    line = f":{location.line}" if location and location.line else ""
    return f"{result.test.policy_file}{line}"


def render_text(report: RuleTestReport) -> str:
    lines = []
    for result in report.results:
        status = "PASS" if result.passed else "FAIL"
        lines.append(f"{status} {_where(result)}: {result.test.name}")
        lines.extend(f"     {failure}" for failure in result.failures)
        if result.failures and result.decision is not None:
            lines.extend(
                f"     trace: {entry.outcome.value} {entry.route.value}"
                f"{' ' + entry.rule_id if entry.rule_id else ''}: {entry.message}"
                for entry in result.decision.trace
            )
    failed = len(report.failed)
    lines.append(
        f"{len(report.results)} rule tests: {len(report.results) - failed} passed, "
        f"{failed} failed (backend {report.backend})"
    )
    if report.unmatched_rules:
        lines.append("Rules that no test matched:")
        lines.extend(
            f"  {rule.id} ({rule.policy_file}"
            f"{':' + str(rule.location.line) if rule.location else ''})"
            for rule in report.unmatched_rules
        )
    return "\n".join(lines)


def render_json(report: RuleTestReport) -> str:
    return json.dumps(report.to_dict(), indent=2)


def _escape(value: str, *, property_value: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def render_github(report: RuleTestReport) -> str:
    """Render workflow commands: an error per failed test, a warning per unmatched rule."""
    out = []
    for result in report.failed:
        location = result.test.location
        props = [f"file={_escape(result.test.policy_file, property_value=True)}"]
        if location and location.line:
            props.append(f"line={location.line}")
        props.append("title=rule test failed")
        message = f"{result.test.name}: " + "; ".join(result.failures)
        out.append(f"::error {','.join(props)}::{_escape(message)}")
    for rule in report.unmatched_rules:
        props = [f"file={_escape(rule.policy_file, property_value=True)}"]
        if rule.location and rule.location.line:
            props.append(f"line={rule.location.line}")
        props.append("title=rule never matched")
        message = f"no rule test matches rule {rule.id!r}; add a test that triggers it"
        out.append(f"::warning {','.join(props)}::{_escape(message)}")
    return "\n".join(out)


def render_junit(report: RuleTestReport) -> str:
    """Render JUnit XML with one test suite per policy file."""
    by_file: dict[str, list[RuleTestResult]] = defaultdict(list)
    for result in report.results:
        by_file[result.test.policy_file].append(result)
    root = ET.Element(
        "testsuites",
        name=f"actionplane rule tests ({report.backend})",
        tests=str(len(report.results)),
        failures=str(len(report.failed)),
    )
    for path, results in by_file.items():
        suite = ET.SubElement(
            root,
            "testsuite",
            name=path,
            tests=str(len(results)),
            failures=str(sum(not r.passed for r in results)),
        )
        for result in results:
            case = ET.SubElement(
                suite, "testcase", classname=path, name=result.test.name
            )
            if not result.passed:
                failure = ET.SubElement(case, "failure", message=result.failures[0])
                failure.text = "\n".join(result.failures)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)
