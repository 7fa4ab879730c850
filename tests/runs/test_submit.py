"""`run submit` over real HTTP against the embedded sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from runs_testing import DEAL_ID, REQUESTER, RunsEnv

from actionplane.cli import cli
from actionplane.state import open_state
from actionplane.zoho.sandbox import seed

SUBMIT = ("run", "submit", "--connector", "zoho-sandbox", "--object", "Deals")


def submit(env: RunsEnv, *args: str) -> tuple[int, dict]:
    return env.json(*SUBMIT, "--record", DEAL_ID, "--actor", REQUESTER, *args)


def test_dry_run_writes_nothing(runs_env: RunsEnv) -> None:
    code, body = runs_env.json("run", "submit", "--preset", "zoho-deal", "--dry-run")

    assert code == 10
    assert body["run"]["status"] == "previewed"
    assert body["decision"]["route"] == "require_approval"
    assert runs_env.puts() == []
    assert runs_env.deal()["Amount"] == seed.SAMPLE_DEAL["Amount"]
    with open_state(runs_env.state, runs_env.root) as state:
        usage = state.governed_run_counts()
        steps = [s.step for s in state.onboarding_progress("zoho-sandbox")]
    assert [(u.dry_runs, u.live_runs) for u in usage] == [(1, 0)]
    assert "dry_run" in steps


def test_preset_preview_and_trace(runs_env: RunsEnv) -> None:
    result = runs_env.cli("run", "submit", "--preset", "zoho-deal", "--dry-run")

    assert result.exit_code == 10
    assert "Amount     48000.0" in result.stdout
    assert "150000.0" in result.stdout
    assert "large-amount-needs-approval policies/deals.yaml:" in result.stdout
    assert "revision 1, commit " in result.stdout
    assert "actionplane run show run_" in result.stdout


def test_decision_names_revision_and_rule_line(runs_env: RunsEnv) -> None:
    code, body = runs_env.json("run", "submit", "--preset", "zoho-deal", "--dry-run")

    assert code == 10
    decision = body["decision"]
    assert decision["revision"]["serial"] == 1
    assert len(decision["revision"]["git_commit"]) == 40
    matched = [e for e in decision["trace"] if e["outcome"] == "matched"]
    assert [e["rule_id"] for e in matched] == ["large-amount-needs-approval"]
    assert matched[0]["policy_file"] == "policies/deals.yaml"
    assert matched[0]["line"] > 0


def test_allowed_live_run_executes_at_once(runs_env: RunsEnv) -> None:
    code, body = submit(
        runs_env, "--set", "Next_Step=Call the buyer", "--reason", "Follow-up"
    )

    assert code == 0, body["message"]
    assert body["run"]["status"] == "executed"
    assert body["result"]["execution"]["verification"]["verified"] is True
    assert [c["status"] for c in runs_env.puts()] == [200]
    assert runs_env.deal()["Next_Step"] == "Call the buyer"


def test_field_outside_allowlist_denied_first(runs_env: RunsEnv) -> None:
    code, body = submit(
        runs_env,
        "--set",
        "Deal_Name=Renamed",
        "--set",
        "Amount=500000",
        "--reason",
        "Rename",
    )

    assert code == 11
    assert body["run"]["status"] == "denied"
    trace = body["decision"]["trace"]
    assert [entry["outcome"] for entry in trace] == ["allowlist"]
    assert all(entry["rule_id"] is None for entry in trace)
    assert "Deal_Name" in trace[0]["message"]
    assert body["decision"]["matched_rules"] == []
    assert runs_env.crm_calls() == []
    assert runs_env.deal()["Deal_Name"] == seed.SAMPLE_DEAL["Deal_Name"]


def test_set_values_parsed_by_field_type(runs_env: RunsEnv) -> None:
    code, body = submit(
        runs_env, "--set", "Amount=52000", "--dry-run", "--reason", "Typed"
    )

    assert code == 0
    change = body["preview"]["changes"][0]
    assert change == {"field": "Amount", "before": 48000.0, "after": 52000}


@pytest.mark.parametrize(
    ("option", "message"),
    [
        pytest.param("Amount=lots", "Amount needs a number", id="not-a-number"),
        pytest.param("Stage=Closed-Won", "is not a value of Stage", id="bad-picklist"),
        pytest.param("Closing_Date=30/09/2025", "yyyy-MM-dd", id="bad-date"),
        pytest.param("Amount", "is not FIELD=VALUE", id="no-equals-sign"),
    ],
)
def test_invalid_values_rejected(runs_env: RunsEnv, option: str, message: str) -> None:
    result = runs_env.cli(
        *SUBMIT, "--record", DEAL_ID, "--set", option, "--actor", "x", "--reason", "r"
    )

    assert result.exit_code == 1
    assert message in result.stderr
    assert runs_env.crm_calls() == []


def test_unchanged_fields_listed_separately(runs_env: RunsEnv) -> None:
    code, body = submit(
        runs_env,
        "--set",
        "Stage=Qualification",
        "--set",
        "Next_Step=Send the deck",
        "--dry-run",
        "--reason",
        "Update",
    )

    assert code == 0
    preview = body["preview"]
    assert [c["field"] for c in preview["changes"]] == ["Next_Step"]
    assert preview["unchanged"] == [{"field": "Stage", "value": "Qualification"}]


def test_no_actual_change_is_an_error(runs_env: RunsEnv) -> None:
    result = runs_env.cli(
        *SUBMIT,
        "--record",
        DEAL_ID,
        "--set",
        "Stage=Qualification",
        "--actor",
        REQUESTER,
        "--reason",
        "Nothing",
    )

    assert result.exit_code == 1
    assert "nothing to change" in result.stderr


def test_request_file(runs_env: RunsEnv, tmp_path: Path) -> None:
    request = {
        "connector": "zoho-sandbox",
        "object": "Deals",
        "recordId": DEAL_ID,
        "changes": {"Stage": {"after": "Needs Analysis"}},
        "actor": {"id": "enrich-bot", "kind": "agent"},
        "reason": "Stage from call notes",
        "dryRun": True,
    }
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request))

    code, body = runs_env.json("run", "submit", "--file", str(path))

    assert code == 0
    assert body["run"]["actor"] == {"id": "enrich-bot", "kind": "agent"}
    assert body["run"]["dry_run"] is True
    assert body["preview"]["changes"][0]["after"] == "Needs Analysis"


def test_agent_closed_lost_denied_by_rule(runs_env: RunsEnv) -> None:
    code, body = submit(
        runs_env,
        "--set",
        "Stage=Closed Lost",
        "--actor-kind",
        "agent",
        "--reason",
        "Lost",
    )

    assert code == 11
    assert body["decision"]["matched_rules"] == ["agent-closed-lost-denied"]
    assert runs_env.puts() == []


def test_submit_without_applied_revision(runs_env: RunsEnv, tmp_path: Path) -> None:
    empty_state = tmp_path / "empty.db"
    result = CliRunner().invoke(
        cli,
        [
            *("run", "submit", "--preset", "zoho-deal", "--dry-run"),
            *("-w", str(runs_env.root), "--state", str(empty_state)),
        ],
    )

    assert result.exit_code == 1
    assert "actionplane plan --out plan.json && actionplane apply plan.json" in (
        result.stderr
    )
    assert runs_env.crm_calls() == []


def test_runs_use_applied_revision_not_tree(runs_env: RunsEnv) -> None:
    deals = runs_env.root / "policies" / "deals.yaml"
    deals.write_text(deals.read_text().replace("> 100000.0", "> 1000000.0"))

    code, body = runs_env.json("run", "submit", "--preset", "zoho-deal", "--dry-run")

    assert code == 10
    assert body["decision"]["matched_rules"] == ["large-amount-needs-approval"]


def test_credential_like_value_rejected(runs_env: RunsEnv) -> None:
    result = runs_env.cli(
        *SUBMIT,
        "--record",
        DEAL_ID,
        "--set",
        "Next_Step=Send code=1234 to the buyer",
        "--actor",
        REQUESTER,
        "--reason",
        "Promo",
    )

    assert result.exit_code == 1
    assert "the value of Next_Step looks like a credential" in result.stderr
    assert runs_env.crm_calls() == []
