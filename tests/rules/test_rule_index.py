"""Skipping rules by selector and required field never changes a decision."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rule_builders import policy, rule, workspace

from actionplane.rules.engine import RuleSet

FIELDS = {
    "Deals": ("Stage", "Amount", "Closing_Date", "Next_Step"),
    "Accounts": ("Phone", "Website", "Description"),
    "Contacts": ("Title", "Phone", "Description"),
}
NOW = datetime(2025, 7, 1, 9, tzinfo=UTC)

# Rule sources in many shapes: guarded and unguarded reads, guards inside `||`,
# parentheses, negation and the conditional operator, so some rules error.
TEMPLATES = (
    '"{f}" in request.changes && request.changes.{f}.after != null',
    "has(request.changes.{f}) && request.changes.{f}.after == request.changes.{f}.before",
    '("{f}" in request.changes) && (request.changes.{f}.after == "x")',
    '"{f}" in request.changes || request.actor.kind == "agent"',
    "request.changes.{f}.after == null",
    '!("{f}" in request.changes) && size(request.changes) > 1',
    '"{f}" in request.changes ? request.changes.{f}.after == 1.0 : false',
    '"{f}" in request.changes && "{g}" in request.changes',
    "has(request.changes.{f}) && request.changes.{f}.after > 100.0",
    '"{f}" in request.changes && request.changes.{g}.after != null',
    '"{f}" in request.changes && "{g}" in request.changes || request.actor.kind == "agent"',
    '"{f}" in request.changes && false ? false : size(request.changes) > 0',
)
ROUTES = ("allow", "require_approval", "deny")


def build_rules() -> list[Any]:
    rules = []
    fields = sorted({f for names in FIELDS.values() for f in names})
    for i, template in enumerate(TEMPLATES):
        for j, field in enumerate(fields[:4]):
            other = fields[(j + i + 1) % len(fields)]
            objects = () if (i + j) % 3 == 0 else (sorted(FIELDS)[(i + j) % 3],)
            kinds = ("agent",) if (i * j) % 4 == 1 else ()
            rules.append(
                rule(
                    f"rule-{i}-{j}",
                    template.format(f=field, g=other),
                    ROUTES[(i + j) % 3],
                    objects=objects,
                    actor_kinds=kinds,
                    approvers=(f"group-{j}",),
                    policy_file=f"policies/p{j % 2}.yaml",
                )
            )
    return rules


def build_rule_sets(backend: str) -> tuple[RuleSet, RuleSet]:
    rules = build_rules()
    policies = [
        policy(*[r for r in rules if r.policy_file == path], default=default, path=path)
        for path, default in (
            ("policies/p0.yaml", "allow"),
            ("policies/p1.yaml", "deny"),
        )
    ]
    ws = workspace(*policies)
    indexed = RuleSet(ws, backend)
    every_rule = RuleSet(ws, backend)
    every_rule.rules = [
        dataclasses.replace(c, required=frozenset()) for c in every_rule.rules
    ]
    return indexed, every_rule


VALUES = st.one_of(
    st.none(),
    st.sampled_from(["x", "", "Closed Won"]),
    st.integers(-5, 500),
    st.floats(-5, 500, allow_nan=False),
)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    object_name = draw(st.sampled_from(sorted(FIELDS)))
    fields = draw(st.sets(st.sampled_from(FIELDS[object_name]), max_size=3))
    changes = {f: {"before": draw(VALUES), "after": draw(VALUES)} for f in fields}
    kind = draw(st.sampled_from(["human", "agent", "service"]))
    return {
        "object": object_name,
        "changes": changes,
        "actor": {"id": "a", "kind": kind},
    }


def summary(decision: Any) -> tuple[Any, ...]:
    return (
        decision.route,
        decision.matched_rules,
        decision.errored_rules,
        decision.approvers,
        decision.required_approvals,
    )


@pytest.mark.parametrize(
    ("backend", "examples"), [("cel-expr-python", 300), ("cel-python", 40)]
)
def test_index_gives_same_decisions(backend: str, examples: int) -> None:
    indexed, every_rule = build_rule_sets(backend)

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(requests())
    def check(request: dict[str, Any]) -> None:
        expected = every_rule.decide(request, now=NOW)
        assert summary(indexed.decide(request, now=NOW)) == summary(expected)

    check()


def test_skipped_rules_evaluate_false() -> None:
    """Every rule left out for a missing required field is false, never an error."""
    indexed, _ = build_rule_sets("cel-expr-python")
    backend = indexed.backend
    skipped_any = False

    @settings(max_examples=200, deadline=None)
    @given(requests())
    def check(request: dict[str, Any]) -> None:
        nonlocal skipped_any
        skipped = [
            c for c in indexed.rules if not c.required <= set(request["changes"])
        ]
        skipped_any = skipped_any or bool(skipped)
        activation = backend.activation(
            request=request, record={}, connector={}, now=NOW
        )
        results = backend.evaluate([c.compiled for c in skipped], activation)
        assert all(result is False for result in results)

    check()
    assert skipped_any
