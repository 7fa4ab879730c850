"""Replay sources of the policy impact: probe requests and recorded runs.

Probe tests use the metadata snapshot of the embedded sandbox's catalog.
Recorded-run tests submit dry runs over HTTP to the embedded sandbox after
`plan` and `apply`, so the runs in the SQLite state are the ones `run submit`
stores.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import git
import pytest
from click.testing import CliRunner, Result
from tests.conftest import catalog_snapshot, point_at

from actionplane.cli import cli
from actionplane.config.load import load_workspace
from actionplane.config.model import ActorKind, Workspace
from actionplane.plan.impact import ProbeSource, probe_values, replay
from actionplane.plan.make import RecordedRunsSource, decider
from actionplane.state import open_state
from actionplane.zoho.sandbox import seed

CONNECTOR = "zoho-sandbox"
CLOSING_DATE_TODAY = "request.changes.Closing_Date.after < today"
# Appended to policies/deals.yaml: a rule that reads the record, not the request.
QUALIFICATION_RULE = """
  - id: next-step-in-qualification-needs-approval
    description: Next steps of deals still in qualification are reviewed.
    object: Deals
    when: |
      "Next_Step" in request.changes && record.Stage == "Qualification"
    route: require_approval
    approvers: [sales-managers]
    message: Next steps of deals in qualification need a sales manager.
"""


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} is not in {path.name} exactly once"
    path.write_text(text.replace(old, new))


def load(root: Path) -> Workspace:
    workspace, diagnostics = load_workspace(root)
    assert not [d for d in diagnostics if d.is_error], diagnostics
    return workspace


def commit_all(root: Path, message: str) -> None:
    repo = git.Repo(root)
    repo.git.add(A=True)
    repo.index.commit(message)


def insert_rule(path: Path, rule: str) -> None:
    """Insert `rule` as the last entry of the policy's `rules:` list."""
    text = path.read_text()
    rules, tests = text.split("\ntests:\n", 1) if "\ntests:\n" in text else (text, "")
    path.write_text(rules.rstrip("\n") + "\n" + rule + "\ntests:\n" + tests)


@pytest.fixture(autouse=True)
def no_state_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACTIONPLANE_STATE", raising=False)


# --- probe_values ---------------------------------------------------------


def deals_field(name: str) -> dict[str, Any]:
    entry = catalog_snapshot().field("Deals", name)
    assert entry is not None
    return entry


def test_probes_number_literal_and_neighbours():
    values = probe_values(deals_field("Amount"), [100000.0])

    assert values == [99999.0, 100000.0, 100001.0]
    assert all(isinstance(value, float) for value in values)


def test_integer_literal_probes_stay_integers():
    values = probe_values(deals_field("Probability"), [50])

    assert values == [49, 50, 51]
    assert all(type(value) is int for value in values)


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("2025-06-30", ["2025-06-29", "2025-06-30", "2025-07-01"]),
        ("2025-01-01", ["2024-12-31", "2025-01-01", "2025-01-02"]),
        ("2024-02-28", ["2024-02-27", "2024-02-28", "2024-02-29"]),
    ],
)
def test_probes_date_literal_and_neighbours(literal, expected):
    assert probe_values(deals_field("Closing_Date"), [literal]) == expected


def test_probes_each_literal_once():
    values = probe_values(deals_field("Amount"), [100, 101, 100])

    assert values == [99, 100, 101, 102]


def test_probes_picklist_stored_values():
    stage = deals_field("Stage")
    stored = [item["value"] for item in stage["picklist"]]

    values = probe_values(stage, [])

    assert values == stored
    assert "Id. Decision Makers" in values
    assert "Identify Decision Makers" not in values


def test_probes_picklist_literal_not_repeated():
    stage = deals_field("Stage")

    values = probe_values(stage, ["Closed Won", "Not A Stage"])

    assert values.count("Closed Won") == 1
    assert values[-1] == "Not A Stage"
    assert len(values) == len(stage["picklist"]) + 1


def probed_values(
    workspaces: list[Workspace], obj: str, field: str
) -> Counter[tuple[Any, str]]:
    """Count the probes that change one field to a value, per (value, actor kind).

    Probes that change the field away from a value, or that set a record, are
    left out; `test_probe_shapes_for_before_and_record` covers them.
    """
    source = ProbeSource(workspaces, {CONNECTOR: catalog_snapshot()})
    found: Counter[tuple[Any, str]] = Counter()
    for item in source.requests():
        request = item.request
        if request["object"] != obj or field not in request["changes"]:
            continue
        assert item.source == "probe"
        assert request["connector"] == CONNECTOR
        assert list(request["changes"]) == [field]
        change = request["changes"][field]
        if item.record is not None:
            continue
        assert change["before"] is None
        found[(change["after"], request["actor"]["kind"])] += 1
    return found


def test_probe_source_covers_rule_literals(workspace):
    deals = workspace / "policies/deals.yaml"
    edit(deals, CLOSING_DATE_TODAY, 'request.changes.Closing_Date.after < "2025-06-30"')
    kinds = [kind.value for kind in ActorKind]

    amounts = probed_values([load(workspace)], "Deals", "Amount")
    dates = probed_values([load(workspace)], "Deals", "Closing_Date")
    stages = probed_values([load(workspace)], "Deals", "Stage")

    assert amounts == Counter(
        {(value, kind): 1 for value in (99999.0, 100000.0, 100001.0) for kind in kinds}
    )
    assert dates == Counter(
        {
            (value, kind): 1
            for value in ("2025-06-29", "2025-06-30", "2025-07-01")
            for kind in kinds
        }
    )
    stored = {item["value"] for item in deals_field("Stage")["picklist"]}
    assert {value for value, _ in stages} == stored
    assert set(stages.values()) == {1}


def test_probe_source_merges_both_versions(workspace):
    old = load(workspace)
    edit(workspace / "policies/deals.yaml", "> 100000.0", "> 200000.0")
    new = load(workspace)

    amounts = probed_values([old, new], "Deals", "Amount")

    assert {value for value, _ in amounts} == {
        99999.0,
        100000.0,
        100001.0,
        199999.0,
        200000.0,
        200001.0,
    }


# --- probes carry a plan without rule tests ------------------------------------


def drop_rule_tests(root: Path) -> None:
    for path in sorted((root / "policies").glob("*.yaml")):
        text = path.read_text()
        if "\ntests:\n" in text:
            path.write_text(text.split("\ntests:\n", 1)[0] + "\n")


@pytest.mark.parametrize(
    ("threshold", "category", "moved"),
    [
        ("200000.0", "newly_allowed", {100001.0, 199999.0, 200000.0}),
        ("50000.0", "newly_requires_approval", {50001.0, 99999.0, 100000.0}),
    ],
)
def test_threshold_move_reported_by_probes_alone(
    git_workspace, threshold, category, moved
):
    repo = git.Repo(git_workspace)
    drop_rule_tests(git_workspace)
    commit_all(git_workspace, "Drop the rule tests")
    repo.git.checkout("-b", "move-threshold")
    edit(git_workspace / "policies/deals.yaml", "> 100000.0", f"> {threshold}")
    commit_all(git_workspace, "Move the amount threshold")
    assert load(git_workspace).tests == []

    result = run("plan", "-w", str(git_workspace), "--base", "main", "--format", "json")

    assert result.exit_code == 0, result.output
    impact = json.loads(result.output)["impact"]
    assert impact is not None
    assert "rule-test" not in impact["replayed"]
    assert impact["replayed"]["probe"] > 0
    expected_counts = dict.fromkeys(
        ("newly_allowed", "newly_requires_approval", "newly_denied"), 0
    )
    counts = impact["counts"]
    assert counts[category] >= len(moved) * len(ActorKind)
    assert {k: v for k, v in counts.items() if k != category} == {
        k: 0 for k in expected_counts if k != category
    }
    examples = impact["examples"][category]
    assert examples
    for example in examples:
        assert example["source"] == "probe"
        assert example["request"]["changes"]["Amount"]["after"] in moved


BEFORE_STAGE_RULE = """
  - id: reopening-won-deal-needs-approval
    description: Moving a deal out of Closed Won is reviewed.
    object: Deals
    when: |
      "Stage" in request.changes && request.changes.Stage.before == "Closed Won"
    route: require_approval
    approvers: [sales-managers]
    message: Reopening a won deal needs a sales manager.
"""
RECORD_AMOUNT_RULE = """
  - id: large-deal-stage-needs-approval
    description: Stage changes on large deals are reviewed.
    object: Deals
    when: |
      "Stage" in request.changes && record.Amount > 100000.0
    route: require_approval
    approvers: [sales-managers]
    message: Stage changes on deals above 100,000 need a sales manager.
"""


@pytest.mark.parametrize(
    ("rule", "old", "new"),
    [
        (
            BEFORE_STAGE_RULE,
            'Stage.before == "Closed Won"',
            'Stage.before == "Closed Lost"',
        ),
        (RECORD_AMOUNT_RULE, "record.Amount > 100000.0", "record.Amount > 200000.0"),
    ],
)
def test_probes_reach_before_and_record_literals(workspace, rule, old, new):
    deals = workspace / "policies/deals.yaml"
    insert_rule(deals, rule)
    drop_rule_tests(workspace)
    old_workspace = load(workspace)
    edit(deals, old, new)
    new_workspace = load(workspace)
    source = ProbeSource(
        [old_workspace, new_workspace], {CONNECTOR: catalog_snapshot()}
    )

    impact = replay(
        [source], decider(old_workspace, None), decider(new_workspace, None)
    )

    assert impact.moved > 0


# --- recorded runs ----------------------------------------------------------


@pytest.fixture
def applied(workspace, zoho_sandbox, sandbox_env, tmp_path) -> tuple[Path, Path]:
    """A workspace pointed at the sandbox, synced, committed and applied."""
    state = tmp_path / "state.db"
    point_at(workspace, zoho_sandbox.url)
    synced = run(
        "connectors",
        "sync-metadata",
        CONNECTOR,
        "-w",
        str(workspace),
        "--state",
        str(state),
    )
    assert synced.exit_code == 0, synced.output
    repo = git.Repo.init(workspace, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test User")
        config.set_value("user", "email", "test@example.com")
    commit_all(workspace, "Add the workspace")
    saved = tmp_path / "plan.json"
    planned = run(
        "plan", "-w", str(workspace), "--state", str(state), "--out", str(saved)
    )
    assert planned.exit_code == 0, planned.output
    done = run("apply", str(saved), "-w", str(workspace), "--state", str(state))
    assert done.exit_code == 0, done.output
    return workspace, state


def submit_dry_run(root: Path, state: Path, field_value: str) -> tuple[int, str]:
    """Submit a dry run on the sample deal and return its exit code and run id."""
    result = run(
        "run",
        "submit",
        "--connector",
        CONNECTOR,
        "--object",
        "Deals",
        "--record",
        seed.SAMPLE_DEAL_ID,
        "--set",
        field_value,
        "--actor",
        "avery.quinn",
        "--reason",
        "Replay test",
        "--dry-run",
        "--format",
        "json",
        "-w",
        str(root),
        "--state",
        str(state),
    )
    return result.exit_code, json.loads(result.output)["run"]["id"]


def submit_three_runs(root: Path, state: Path) -> dict[str, str]:
    """Submit runs that a threshold move to 200000.0 affects differently."""
    runs = {}
    for name, field_value, exit_code in [
        ("between", "Amount=150000", 10),
        ("above", "Amount=250000", 10),
        ("next-step", "Next_Step=Send the proposal", 0),
    ]:
        code, run_id = submit_dry_run(root, state, field_value)
        assert code == exit_code
        runs[name] = run_id
    return runs


def test_recorded_runs_source_reads_state(applied):
    root, state = applied
    runs = submit_three_runs(root, state)

    with open_state(state, root) as store:
        stored = {run.id: run for run in store.list_runs()}
        items = list(RecordedRunsSource(store).requests())
        newest = list(RecordedRunsSource(store, limit=1).requests())

    assert [item.label for item in items] == [
        runs["next-step"],
        runs["above"],
        runs["between"],
    ]
    for item in items:
        assert item.source == "recorded-run"
        assert item.request == stored[item.label].request
        assert item.record is not None
        assert item.record["id"] == seed.SAMPLE_DEAL_ID
        assert item.record["Stage"] == seed.SAMPLE_DEAL["Stage"]
    between = items[2].request
    assert between["changes"]["Amount"]["after"] == 150000
    assert between["changes"]["Amount"]["before"] == seed.SAMPLE_DEAL["Amount"]
    assert [item.label for item in newest] == [runs["next-step"]]


def test_changed_threshold_moves_recorded_run(applied):
    root, state = applied
    runs = submit_three_runs(root, state)
    old = load(root)
    edit(root / "policies/deals.yaml", "> 100000.0", "> 200000.0")
    new = load(root)

    with open_state(state, root) as store:
        impact = replay(
            [RecordedRunsSource(store)], decider(old, None), decider(new, None)
        )

    assert impact.replayed == {"recorded-run": 3}
    assert impact.counts == {
        "newly_allowed": 1,
        "newly_requires_approval": 0,
        "newly_denied": 0,
    }
    [example] = impact.examples["newly_allowed"]
    assert example.label == runs["between"]
    assert example.source == "recorded-run"
    assert example.before == "require_approval"
    assert example.after == "allow"
    assert example.rules == []
    assert impact.after_mix == {"allow": 2, "require_approval": 1, "deny": 0}


def test_rule_on_record_sees_recorded_record(applied):
    root, state = applied
    runs = submit_three_runs(root, state)
    old = load(root)
    insert_rule(root / "policies/deals.yaml", QUALIFICATION_RULE)
    new = load(root)

    with open_state(state, root) as store:
        impact = replay(
            [RecordedRunsSource(store)], decider(old, None), decider(new, None)
        )

    assert impact.counts["newly_requires_approval"] == 1
    [example] = impact.examples["newly_requires_approval"]
    assert example.label == runs["next-step"]
    assert example.before == "allow"
    assert example.rules == ["next-step-in-qualification-needs-approval"]


def test_plan_counts_recorded_runs(applied):
    root, state = applied
    edit(root / "policies/deals.yaml", "> 100000.0", "> 200000.0")
    # Keep the rule test that pins an amount above the threshold passing.
    edit(root / "policies/deals.yaml", "after: 150000.0", "after: 250000.0")

    def plan_impact() -> dict[str, Any]:
        result = run("plan", "-w", str(root), "--state", str(state), "--format", "json")
        assert result.exit_code == 0, result.output
        impact: dict[str, Any] = json.loads(result.output)["impact"]
        return impact

    before_runs = plan_impact()
    submit_three_runs(root, state)
    after_runs = plan_impact()

    assert "recorded-run" not in before_runs["replayed"]
    assert after_runs["replayed"]["recorded-run"] == 3
    assert after_runs["replayed"]["probe"] == before_runs["replayed"]["probe"]
    assert (
        after_runs["counts"]["newly_allowed"]
        == before_runs["counts"]["newly_allowed"] + 1
    )
    assert (
        after_runs["counts"]["newly_requires_approval"]
        == before_runs["counts"]["newly_requires_approval"]
    )


def test_probe_shapes_for_before_and_record(workspace):
    insert_rule(workspace / "policies/deals.yaml", RECORD_AMOUNT_RULE)
    source = ProbeSource([load(workspace)], {CONNECTOR: catalog_snapshot()})
    items = [
        item
        for item in source.requests()
        if item.request["object"] == "Deals"
        and item.request["actor"]["kind"] == "human"
    ]

    before_shape = [
        item
        for item in items
        if item.record is not None
        and "Amount" in item.request["changes"]
        and item.request["changes"]["Amount"]["before"] == 100000.0
    ]
    assert len(before_shape) == 1
    assert before_shape[0].record == {"Amount": 100000.0}
    assert before_shape[0].request["changes"]["Amount"]["after"] != 100000.0

    held = [
        item
        for item in items
        if "Stage" in item.request["changes"] and item.record == {"Amount": 100001.0}
    ]
    assert len(held) == 1
    assert held[0].request["changes"]["Stage"]["before"] is None


def test_record_probes_follow_rule_selectors(workspace):
    insert_rule(workspace / "policies/deals.yaml", RECORD_AMOUNT_RULE)
    source = ProbeSource([load(workspace)], {CONNECTOR: catalog_snapshot()})

    with_record = [
        item
        for item in source.requests()
        if item.record is not None and "Amount" in item.record
    ]

    assert {item.request["object"] for item in with_record} == {"Deals"}
    assert {name for item in with_record for name in item.request["changes"]} == {
        "Stage",
        "Amount",
    }
