"""Checks of rules and rule tests against Zoho field metadata.

Every field a rule reads must exist on an object the rule can apply to, every
literal compared with a field must fit the field's type, and picklist literals
must be stored values rather than labels. Rule-test values get the same
checks, so a test cannot pin behaviour for values Zoho would never store.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from actionplane.config.model import Rule, RuleTest, Workspace
from actionplane.diagnostics import Diagnostic, Location, error
from actionplane.errors import RuleError
from actionplane.metadata.snapshot import Snapshot
from actionplane.metadata.values import value_problem
from actionplane.reconcile.metadata_checks import suggest_name
from actionplane.rules.analysis import analyze
from actionplane.rules.positions import file_position
from actionplane.rules.testing import RuleTestResult, run_rule_tests

RULE_TEST_FAILED = "test.failed"


def rule_targets(workspace: Workspace, rule: Rule) -> list[tuple[str, str]]:
    """Return the (connector, object) pairs a rule can apply to."""
    pairs = []
    for connector in workspace.connectors:
        if rule.connectors and connector.name not in rule.connectors:
            continue
        for obj in connector.managed_objects:
            if rule.objects and obj.object_api_name not in rule.objects:
                continue
            pairs.append((connector.name, obj.object_api_name))
    return pairs


def _lookup(
    snapshots: dict[str, Snapshot], targets: list[tuple[str, str]], name: str
) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]]]:
    """Find the field in the targets' metadata; also return all their fields."""
    known: dict[str, dict[str, Any]] = {}
    for connector, obj in targets:
        snapshot = snapshots.get(connector)
        module = snapshot.module(obj) if snapshot else None
        fields = (module or {}).get("fields") or {}
        known.update(fields)
        if name in fields:
            return fields[name], known
    return None, known


def _targets_have_metadata(
    snapshots: dict[str, Snapshot], targets: list[tuple[str, str]]
) -> bool:
    return any(
        connector in snapshots and "fields" in (snapshots[connector].module(obj) or {})
        for connector, obj in targets
    )


def check_rules(
    workspace: Workspace,
    snapshots: dict[str, Snapshot],
    file_lines: dict[str, list[str]],
) -> Iterator[Diagnostic]:
    for rule in workspace.rules:
        targets = rule_targets(workspace, rule)
        if not _targets_have_metadata(snapshots, targets):
            continue
        yield from _check_rule(
            rule, targets, snapshots, file_lines.get(rule.policy_file)
        )


def _check_rule(
    rule: Rule,
    targets: list[tuple[str, str]],
    snapshots: dict[str, Snapshot],
    lines: list[str] | None,
) -> Iterator[Diagnostic]:
    analysis = analyze(rule.when)
    reported: set[str] = set()
    for read in analysis.reads:
        entry, known = _lookup(snapshots, targets, read.field)
        if entry is not None or read.field in reported:
            continue
        reported.add(read.field)
        hint = suggest_name(read.field, known)
        objects = ", ".join(sorted({obj for _, obj in targets}))
        yield error(
            "rule.unknown-field",
            f"rule {rule.id!r} reads field {read.field!r}, which {objects} does not have",
            (f"Did you mean {hint!r}? " if hint else "")
            + "Rules use exact, case-sensitive api_names; check the metadata snapshot.",
            location=_where(rule, read.line, read.column, lines),
        )
    for comparison in analysis.comparisons:
        if comparison.kind == "null":
            continue
        entry, _ = _lookup(snapshots, targets, comparison.field)
        if entry is None:
            continue
        problem = value_problem(entry, comparison.value)
        if problem is None:
            continue
        yield error(
            "rule.literal-type",
            f"rule {rule.id!r} compares {comparison.field} with {comparison.text}, "
            "which the field cannot hold",
            f"{problem}.",
            location=_where(
                rule, comparison.line, comparison.column, lines, comparison.end_column
            ),
        )


def _where(
    rule: Rule, line: int, column: int, lines: list[str] | None, end_column: int = 0
) -> Location:
    file_line, file_column = file_position(rule, line, column, lines)
    end = file_column + (end_column - column) if end_column > column else None
    return Location(rule.policy_file, file_line, file_column, file_line, end)


def check_rule_tests(
    workspace: Workspace, snapshots: dict[str, Snapshot]
) -> Iterator[Diagnostic]:
    only = workspace.connectors[0].name if len(workspace.connectors) == 1 else None
    for test in workspace.tests:
        connector = test.request.get("connector") or only
        snapshot = snapshots.get(connector or "")
        obj = test.request.get("object")
        if snapshot is None or not obj:
            continue
        yield from _check_test(test, snapshot, obj)


def _check_test(test: RuleTest, snapshot: Snapshot, obj: str) -> Iterator[Diagnostic]:
    for field_name, change in (test.request.get("changes") or {}).items():
        entry = snapshot.field(obj, field_name)
        if entry is None:
            continue
        for part in ("before", "after"):
            problem = value_problem(entry, (change or {}).get(part))
            if problem is None:
                continue
            yield error(
                "test.value-type",
                f"rule test {test.name!r}: {obj}.{field_name} {part} value does not fit the field",
                f"{problem}.",
                location=test.location,
                extra={"rule_test": test.name},
            )


def rule_test_failures(workspace: Workspace, backend: str) -> list[Diagnostic]:
    """Run the rule tests as `actionplane test` does, with one error per failing test.

    Rules that do not compile give no diagnostics here, because the compile
    check reports them. Each error contains the test's name in `extra`.
    """
    try:
        report = run_rule_tests(workspace, backend)
    except RuleError:
        return []
    return [_test_failure(result) for result in report.failed]


def _test_failure(result: RuleTestResult) -> Diagnostic:
    test = result.test
    first, *others = result.failures
    detail = "".join(f"{failure}\n" for failure in others)
    detail += (
        "Fix the rules or the test's expectation, and run `actionplane test` "
        "to see the decision trace."
    )
    return error(
        RULE_TEST_FAILED,
        f"rule test {test.name!r} fails: {first}",
        detail,
        location=test.location or Location(test.policy_file),
        extra={"rule_test": test.name},
    )
