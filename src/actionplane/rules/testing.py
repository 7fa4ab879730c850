"""Run the rule tests of a workspace and find rules that no test matched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from actionplane.config.model import Rule, RuleTest, Workspace
from actionplane.errors import RuleError
from actionplane.rules.backend import CelBackend
from actionplane.rules.decision import Decision
from actionplane.rules.engine import RuleSet

REPORT_FORMAT_VERSION = "1"


@dataclass(frozen=True)
class RuleTestResult:
    """One test's outcome; `failures` describes each difference from the expectation.

    `decision` is None when the test could not be decided, and `failures` gives
    the reason.
    """

    test: RuleTest
    decision: Decision | None
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        location = self.test.location
        return {
            "name": self.test.name,
            "policy_file": self.test.policy_file,
            "line": location.line if location else None,
            "passed": self.passed,
            "failures": list(self.failures),
            "decision": self.decision.to_dict() if self.decision else None,
        }


@dataclass(frozen=True)
class RuleTestReport:
    backend: str
    results: tuple[RuleTestResult, ...]
    unmatched_rules: tuple[Rule, ...]

    @property
    def failed(self) -> tuple[RuleTestResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    @property
    def passed(self) -> bool:
        return not self.failed

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": REPORT_FORMAT_VERSION,
            "backend": self.backend,
            "passed": self.passed,
            "counts": {
                "tests": len(self.results),
                "passed": len(self.results) - len(self.failed),
                "failed": len(self.failed),
            },
            "tests": [result.to_dict() for result in self.results],
            "unmatched_rules": [
                {
                    "id": rule.id,
                    "policy_file": rule.policy_file,
                    "line": rule.location.line if rule.location else None,
                }
                for rule in self.unmatched_rules
            ],
        }


def run_rule_tests(
    workspace: Workspace, backend: CelBackend | str | None = None
) -> RuleTestReport:
    """Decide every rule test's request and compare it with the expectation.

    Raise RuleError (carrying diagnostics) when a rule does not compile.
    """
    rule_set = RuleSet(workspace, backend)
    results = tuple(run_one(rule_set, test) for test in workspace.tests)
    matched = {
        rule_id
        for result in results
        if result.decision is not None
        for rule_id in result.decision.matched_rules
    }
    unmatched = tuple(rule for rule in workspace.rules if rule.id not in matched)
    return RuleTestReport(rule_set.backend.name, results, unmatched)


def run_one(rule_set: RuleSet, test: RuleTest) -> RuleTestResult:
    try:
        now = _parse_now(test.now)
        decision = rule_set.decide(
            test.request,
            record=test.record,
            now=now,
            connector_values=test.connector,
        )
    except RuleError as exc:
        return RuleTestResult(test, None, (exc.message,))
    return RuleTestResult(test, decision, tuple(compare(test, decision)))


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise RuleError(
            f"now {value!r} is not an RFC 3339 timestamp; write it like "
            "'2026-01-15T12:00:00Z'"
        ) from None


def compare(test: RuleTest, decision: Decision) -> list[str]:
    """Describe each way the decision differs from the test's expectation.

    A rule that fails at evaluation also fails the test: it usually means a
    missing `has()` guard, and the request only passed by failing closed.
    """
    failures = []
    if decision.route is not test.expect_route:
        failures.append(
            f"expected route {test.expect_route.value}, got {decision.route.value}"
        )
    if test.expect_rules is not None and set(test.expect_rules) != set(
        decision.matched_rules
    ):
        failures.append(
            f"expected matched rules {_listing(test.expect_rules)}, "
            f"got {_listing(decision.matched_rules)}"
        )
    if test.expect_approvers is not None and set(test.expect_approvers) != set(
        decision.approvers
    ):
        failures.append(
            f"expected approvers {_listing(test.expect_approvers)}, "
            f"got {_listing(decision.approvers)}"
        )
    if test.expect_message is not None and test.expect_message not in decision.messages:
        failures.append(
            f"expected message {test.expect_message!r}, got "
            f"{_listing(decision.messages)}"
        )
    for entry in decision.trace:
        if entry.error is not None:
            failures.append(
                f"rule {entry.rule_id!r} failed at evaluation: {entry.error}"
            )
    return failures


def _listing(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(sorted(items)) + "]" if items else "none"
