"""run_rule_tests, its renderers and the `actionplane test` command."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rule_builders import change_request, policy, rule, workspace

from actionplane.cli import cli
from actionplane.cli.test import run_tests
from actionplane.config.model import Route, RuleTest
from actionplane.rules import reporting
from actionplane.rules.testing import run_rule_tests

LARGE = rule(
    "large-amount",
    '"Amount" in request.changes && request.changes.Amount.after > 100000.0',
    "require_approval",
    approvers=("revops-leads",),
    message="Needs a RevOps lead.",
)
SANDBOX_ONLY = rule(
    "production-stage", '"Stage" in request.changes && !connector.isSandbox'
)
PAST = rule(
    "closing-in-past",
    '"Closing_Date" in request.changes && request.changes.Closing_Date.after < today',
)
RECORD = rule(
    "won-record",
    'has(record.Stage) && record.Stage == "Closed Won"',
    "require_approval",
    approvers=("a",),
)
UNTESTED = rule("untested", '"Next_Step" in request.changes')


def case(name: str, request: dict[str, Any], route: str, **expect: Any) -> RuleTest:
    return RuleTest(
        name=name,
        policy_file="policies/test.yaml",
        request=request,
        record=expect.pop("record", None),
        connector=expect.pop("connector", None),
        now=expect.pop("now", None),
        expect_route=Route(route),
        **expect,
    )


TESTS = (
    case(
        "large passes",
        change_request(Amount=(1, 150000)),
        "require_approval",
        expect_rules=("large-amount",),
        expect_approvers=("revops-leads",),
        expect_message="Needs a RevOps lead.",
    ),
    case("wrong route", change_request(Amount=(1, 2)), "deny"),
    case(
        "wrong rules",
        change_request(Amount=(1, 150000)),
        "require_approval",
        expect_rules=(),
    ),
    case(
        "wrong approvers",
        change_request(Amount=(1, 150000)),
        "require_approval",
        expect_approvers=("sales",),
    ),
    case(
        "wrong message",
        change_request(Amount=(1, 150000)),
        "require_approval",
        expect_message="Other.",
    ),
    case(
        "production connector",
        change_request(Stage=("a", "b")),
        "deny",
        connector={"isSandbox": False},
        expect_rules=("production-stage",),
    ),
    case(
        "now sets today",
        change_request(Closing_Date=("2025-06-30", "2025-06-01")),
        "deny",
        now="2025-06-15T10:00:00Z",
        expect_rules=("closing-in-past",),
    ),
    case(
        "record values",
        change_request(Stage=("a", "b")),
        "require_approval",
        record={"Stage": "Closed Won", "$editable": True},
        expect_rules=("won-record",),
    ),
    case("bad now", change_request(Stage=("a", "b")), "allow", now="yesterday"),
)


@pytest.fixture(scope="module", params=["cel-expr-python", "cel-python"])
def report(request: pytest.FixtureRequest) -> Any:
    ws = workspace(policy(LARGE, SANDBOX_ONLY, PAST, RECORD, UNTESTED, tests=TESTS))
    return run_rule_tests(ws, request.param)


def outcome(report: Any, name: str) -> Any:
    [result] = [r for r in report.results if r.test.name == name]
    return result


@pytest.mark.parametrize(
    ("name", "failure"),
    [
        ("large passes", None),
        ("wrong route", "expected route deny, got allow"),
        ("wrong rules", "expected matched rules none, got [large-amount]"),
        ("wrong approvers", "expected approvers [sales], got [revops-leads]"),
        ("wrong message", "expected message 'Other.', got [Needs a RevOps lead.]"),
        ("production connector", None),
        ("now sets today", None),
        ("record values", None),
        ("bad now", "now 'yesterday' is not an RFC 3339 timestamp"),
    ],
)
def test_each_expectation(report: Any, name: str, failure: str | None) -> None:
    result = outcome(report, name)
    if failure is None:
        assert result.passed, result.failures
    else:
        assert not result.passed
        assert result.failures[0].startswith(failure)


def test_unmatched_rules_listed(report: Any) -> None:
    assert [r.id for r in report.unmatched_rules] == ["untested"]


def test_rule_error_fails_the_test() -> None:
    unguarded = rule("unguarded", "request.changes.Amount.after > 1.0")
    test = case("stage only", change_request(Stage=("a", "b")), "require_approval")
    result = run_rule_tests(
        workspace(policy(unguarded, tests=(test,))), "cel-expr-python"
    )
    [only] = result.results
    assert only.decision is not None
    assert only.decision.route is Route.REQUIRE_APPROVAL
    assert only.failures[0].startswith("rule 'unguarded' failed at evaluation")


def test_render_text(report: Any) -> None:
    text = reporting.render_text(report)
    assert "PASS policies/test.yaml: large passes" in text
    assert "FAIL policies/test.yaml: wrong route" in text
    assert "     expected route deny, got allow" in text
    assert "9 rule tests: 4 passed, 5 failed" in text
    assert "Rules that no test matched:\n  untested (policies/test.yaml)" in text


def test_render_json(report: Any) -> None:
    payload = json.loads(reporting.render_json(report))
    assert payload["format_version"] == "1"
    assert payload["counts"] == {"tests": 9, "passed": 4, "failed": 5}
    assert payload["unmatched_rules"][0]["id"] == "untested"
    assert payload["tests"][0]["decision"]["route"] == "require_approval"


def test_render_junit(report: Any) -> None:
    root = ET.fromstring(reporting.render_junit(report))
    assert root.get("failures") == "5"
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == 9
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert "wrong route" in failed


def test_render_github(report: Any) -> None:
    lines = reporting.render_github(report).splitlines()
    assert (
        sum(line.startswith("::error file=policies/test.yaml") for line in lines) == 5
    )
    assert lines[-1].startswith(
        "::warning file=policies/test.yaml,title=rule never matched::"
    )


# --- the command, on a copy of the repository's own workspace -------------------


def test_command_passes_on_repository_workspace(workspace: Path) -> None:
    result = CliRunner().invoke(cli, ["test", "-w", str(workspace)])
    assert result.exit_code == 0, result.output
    assert "14 rule tests: 14 passed, 0 failed" in result.output


@pytest.mark.parametrize("backend", ["cel-expr-python", "cel-python"])
def test_command_fails_on_wrong_expectation(workspace: Path, backend: str) -> None:
    deals = workspace / "policies" / "deals.yaml"
    deals.write_text(
        deals.read_text().replace(
            "expect: {route: allow, rules: []}", "expect: {route: deny}", 1
        )
    )
    result = CliRunner().invoke(
        cli, ["test", "-w", str(workspace), "--backend", backend]
    )
    assert result.exit_code == 1
    assert (
        "FAIL policies/deals.yaml:60: small amount change is allowed" in result.output
    )
    assert f"(backend {backend})" in result.output


def test_command_json_and_junit(workspace: Path) -> None:
    runner = CliRunner()
    as_json = runner.invoke(cli, ["test", "-w", str(workspace), "--format", "json"])
    assert json.loads(as_json.output)["passed"] is True
    as_junit = runner.invoke(cli, ["test", "-w", str(workspace), "--format", "junit"])
    assert ET.fromstring(as_junit.output).get("tests") == "14"


def test_command_reports_compile_errors(workspace: Path) -> None:
    deals = workspace / "policies" / "deals.yaml"
    deals.write_text(
        deals.read_text().replace(
            '"Amount" in request.changes\n', '"Amount" in requst.changes\n', 1
        )
    )
    result = CliRunner().invoke(cli, ["test", "-w", str(workspace)])
    assert result.exit_code == 1
    assert "rule.compile-error" in result.output
    assert "policies/deals.yaml:10:" in result.output


def test_command_reports_load_errors(workspace: Path) -> None:
    (workspace / "connectors.yaml").write_text("version: 1\nconnectors: [")
    report, diagnostics = run_tests(workspace)
    assert report is None
    assert diagnostics
    assert all(d.is_error for d in diagnostics)
    result = CliRunner().invoke(cli, ["test", "-w", str(workspace), "--format", "json"])
    assert result.exit_code == 1
    assert json.loads(result.output)["valid"] is False
