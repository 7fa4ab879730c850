"""Rule changes whose impact replay moves decisions to stricter routes get riskier."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.plan.helpers import run

from actionplane.config.load import load_workspace
from actionplane.config.model import Route, Workspace
from actionplane.plan.changes import Change, rate_by_impact
from actionplane.plan.impact import Impact, RuleTestSource, causing_rules, replay
from actionplane.plan.make import decider

# Inserted before `tests:` in policies/deals.yaml. No rule test covers agents
# changing amounts, so the tests keep passing.
AGENT_AMOUNT_RULE = """
  - id: agents-never-change-amounts
    description: Agents may not touch amounts.
    object: Deals
    actorKinds: [agent]
    when: |
      "Amount" in request.changes
    route: deny
    message: Agents may not change amounts.
"""
# Closes Next_Step and Description on every object, which no rule test covers.
FREEZE_RULE = """
  - id: freeze-notes
    description: Notes are read-only for now.
    when: |
      "Next_Step" in request.changes || "Description" in request.changes
    route: deny
    message: Notes are read-only for now.
"""


def insert_rule(root: Path, rule: str) -> None:
    path = root / "policies" / "deals.yaml"
    text = path.read_text()
    assert text.count("\ntests:\n") == 1
    path.write_text(text.replace("\ntests:\n", rule + "\ntests:\n"))


def load(root: Path) -> Workspace:
    workspace, diagnostics = load_workspace(root)
    assert not [d for d in diagnostics if d.is_error], diagnostics
    return workspace


def impact_of(total: int, by_rule: dict[str, dict[str, int]]) -> Impact:
    return Impact(replayed={"probe": total}, by_rule=by_rule)


def new_rule(rule_id: str, risk: str = "low", note: str = "new deny rule") -> Change:
    return Change("rule", rule_id, None, {"route": "deny"}, risk, note)


# --- rate_by_impact -------------------------------------------------------


def test_any_stricter_move_is_medium():
    impact = impact_of(100, {"r": {"newly_requires_approval": 3}})

    [change] = rate_by_impact([new_rule("r")], impact)

    assert change.risk == "medium"
    assert (
        change.note
        == "new deny rule; replay newly requires approval for 3 of 100 requests"
    )
    assert change.details["impact"] == {
        "newly_denied": 0,
        "newly_requires_approval": 3,
    }


@pytest.mark.parametrize(
    ("denied", "risk"), [(1, "medium"), (9, "medium"), (10, "high"), (90, "high")]
)
def test_deny_share_sets_risk(denied, risk):
    impact = impact_of(100, {"r": {"newly_denied": denied}})

    [change] = rate_by_impact([new_rule("r")], impact)

    assert change.risk == risk
    assert change.note == f"new deny rule; replay newly denies {denied} of 100 requests"


def test_both_moves_in_note():
    impact = impact_of(50, {"r": {"newly_denied": 2, "newly_requires_approval": 4}})

    [change] = rate_by_impact([new_rule("r", note="")], impact)

    assert change.note == (
        "replay newly denies 2 and newly requires approval for 4 of 50 requests"
    )


def test_rating_never_lowers_risk():
    impact = impact_of(100, {"r": {"newly_denied": 1}})

    [change] = rate_by_impact([new_rule("r", risk="high")], impact)

    assert change.risk == "high"


def test_looser_moves_keep_risk():
    impact = impact_of(100, {"r": {"newly_allowed": 40}})
    unchanged = new_rule("r")

    assert rate_by_impact([unchanged], impact) == [unchanged]


def test_only_rule_changes_are_rated():
    impact = impact_of(100, {"Deals": {"newly_denied": 50}})
    other = Change("managed-object", "Deals", None, "Deals", "low")

    assert rate_by_impact([other], impact) == [other]


def test_rated_changes_sorted_by_risk():
    impact = impact_of(100, {"b": {"newly_denied": 50}})

    rated = rate_by_impact([new_rule("a", risk="medium"), new_rule("b")], impact)

    assert [c.subject for c in rated] == ["b", "a"]


# --- replay per rule ------------------------------------------------------


def test_causing_rules_of_a_move():
    routes = {"deny-1": Route.DENY, "ask-1": Route.REQUIRE_APPROVAL}

    causes = causing_rules(Route.DENY, ["deny-1", "ask-1"], ["allow-1"], routes)

    assert causes == ["deny-1", "allow-1"]


def test_tightened_route_counts_per_rule(workspace):
    old = load(workspace)
    path = workspace / "policies" / "deals.yaml"
    text = path.read_text()
    tightened = text.replace(
        "    route: require_approval\n    approvers: [sales-managers]\n",
        "    route: deny\n",
    )
    assert tightened != text
    path.write_text(tightened)
    new = load(workspace)
    routes = {rule.id: rule.route for rule in new.rules}

    impact = replay(
        [RuleTestSource([old, new])], decider(old, None), decider(new, None), routes
    )

    # Of the rule tests, only the agent closing a deal as won reaches this rule.
    assert impact.by_rule == {"agent-closed-won-needs-approval": {"newly_denied": 1}}


def test_first_plan_counts_no_rule(workspace):
    new = load(workspace)
    routes = {rule.id: rule.route for rule in new.rules}

    impact = replay([RuleTestSource([new])], None, decider(new, None), routes)

    assert impact.moved > 0
    assert impact.by_rule == {}


# --- plan -----------------------------------------------------------------


def plan_json(root: Path, state: str, *extra: str) -> dict:
    result = run("plan", "-w", str(root), "--state", state, "--format", "json", *extra)
    assert result.exit_code == 0, result.output
    data: dict = json.loads(result.output)
    return data


def applied(root: Path, state: str, tmp_path: Path) -> None:
    saved = tmp_path / "first.json"
    made = run("plan", "-w", str(root), "--state", state, "--out", str(saved))
    assert made.exit_code == 0, made.output
    result = run("apply", str(saved), "-w", str(root), "--state", state)
    assert result.exit_code == 0, result.output


def rule_change(plan: dict, rule_id: str) -> dict:
    [change] = [
        c for c in plan["changes"] if c["kind"] == "rule" and c["subject"] == rule_id
    ]
    return change


def test_new_deny_rule_is_medium(git_workspace, state, tmp_path):
    applied(git_workspace, state, tmp_path)
    insert_rule(git_workspace, AGENT_AMOUNT_RULE)

    plan = plan_json(git_workspace, state)

    change = rule_change(plan, "agents-never-change-amounts")
    denied = change["details"]["impact"]["newly_denied"]
    total = sum(plan["impact"]["replayed"].values())
    assert 0 < denied < total * 0.1
    assert change["risk"] == "medium"
    assert change["note"] == (
        f"new deny rule; replay newly denies {denied} of {total} requests"
    )
    text = run("plan", "-w", str(git_workspace), "--state", state).output
    assert "+ medium rule" in text
    assert f"replay newly denies {denied} of {total} requests" in text


def test_broad_deny_rule_is_high(git_workspace, state, tmp_path):
    applied(git_workspace, state, tmp_path)
    insert_rule(git_workspace, FREEZE_RULE)

    plan = plan_json(git_workspace, state)

    change = rule_change(plan, "freeze-notes")
    denied = change["details"]["impact"]["newly_denied"]
    total = sum(plan["impact"]["replayed"].values())
    assert denied >= total * 0.1
    assert change["risk"] == "high"
    assert plan["changes"][0]["subject"] == "freeze-notes"


def test_first_plan_keeps_deny_rules_low(git_workspace, state):
    plan = plan_json(git_workspace, state)

    change = rule_change(plan, "agent-closed-lost-denied")
    assert change["risk"] == "low"
    assert "replay" not in change["note"]


def test_saved_plan_keeps_counts(git_workspace, state, tmp_path):
    from actionplane.plan.model import load_plan

    applied(git_workspace, state, tmp_path)
    insert_rule(git_workspace, AGENT_AMOUNT_RULE)
    saved = tmp_path / "plan.json"
    result = run(
        "plan", "-w", str(git_workspace), "--state", state, "--out", str(saved)
    )
    assert result.exit_code == 0, result.output

    loaded = load_plan(saved)

    assert loaded.impact is not None
    assert loaded.impact.by_rule["agents-never-change-amounts"]["newly_denied"] > 0
