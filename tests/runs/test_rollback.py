"""Rollback: before values written back under the post-write guard."""

from __future__ import annotations

from runs_testing import DEAL_ID, REQUESTER, RunsEnv

from actionplane.state import open_state
from actionplane.zoho.sandbox import seed


def executed_run(env: RunsEnv, next_step: str = "Call the buyer") -> str:
    code, body = env.json(
        "run",
        "submit",
        "--connector",
        "zoho-sandbox",
        "--object",
        "Deals",
        "--record",
        DEAL_ID,
        "--set",
        f"Next_Step={next_step}",
        "--actor",
        REQUESTER,
        "--reason",
        "Follow-up",
    )
    assert code == 0, body["message"]
    return str(body["run"]["id"])


def test_rollback_restores_before_values(runs_env: RunsEnv) -> None:
    run_id = executed_run(runs_env)

    code, body = runs_env.json("run", "rollback", run_id)

    assert code == 0, body["message"]
    assert body["run"]["status"] == "rolled_back"
    rollback = body["result"]["rollback"]
    assert rollback["verification"]["verified"] is True
    assert rollback["baseline"] == body["result"]["execution"]["modified_time"]
    assert runs_env.deal()["Next_Step"] == seed.SAMPLE_DEAL["Next_Step"]
    with open_state(runs_env.state, runs_env.root) as state:
        steps = [s.step for s in state.onboarding_progress("zoho-sandbox")]
    assert "rollback" in steps


def test_altered_rollback_fails_verification(runs_env: RunsEnv) -> None:
    run_id = executed_run(runs_env)
    runs_env.sandbox.configure(alter_next_write={"Next_Step": "Set by a workflow"})

    result = runs_env.cli("run", "rollback", run_id)

    assert result.exit_code == 12
    assert "rollback write landed, but the read-back differs in Next_Step" in (
        result.stdout
    )
    assert (
        f'Next_Step: wrote "{seed.SAMPLE_DEAL["Next_Step"]}",'
        ' read back "Set by a workflow"'
    ) in result.stdout
    with open_state(runs_env.state, runs_env.root) as state:
        run = state.get_run(run_id)
        read_backs = [e for e in state.list_evidence(run_id) if e.kind == "read_back"]
        failures = state.audit_events(kind="run.rollback_failed")
    assert run.status == "failed"
    verification = run.result["rollback"]["verification"]
    assert verification["verified"] is False
    assert [m["field"] for m in verification["mismatches"]] == ["Next_Step"]
    assert [e.name for e in read_backs] == [
        "execution read-back",
        "rollback read-back",
    ]
    assert read_backs[1].content["mismatches"] == verification["mismatches"]
    assert len(failures) == 1
    assert len(runs_env.puts()) == 2  # the run's write and the rollback
    assert runs_env.deal()["Next_Step"] == "Set by a workflow"


def test_rollback_refused_after_edit_then_forced(runs_env: RunsEnv) -> None:
    run_id = executed_run(runs_env)
    runs_env.edit_deal(Next_Step="The rep's own plan")

    refused = runs_env.cli("run", "rollback", run_id)

    assert refused.exit_code == 12
    assert "rollback was refused" in refused.stdout
    assert 'Next_Step: after the run "Call the buyer", now "The rep\'s own plan"' in (
        refused.stdout
    )
    assert len(runs_env.puts()) == 2  # the run's write and the edit
    assert runs_env.deal()["Next_Step"] == "The rep's own plan"

    no_reason = runs_env.cli("run", "rollback", run_id, "--force")
    assert no_reason.exit_code == 1
    assert "--force needs --reason" in no_reason.stderr

    code, body = runs_env.json(
        "run", "rollback", run_id, "--force", "--reason", "Revert the import"
    )
    assert code == 0, body["message"]
    assert body["run"]["status"] == "rolled_back"
    assert runs_env.deal()["Next_Step"] == seed.SAMPLE_DEAL["Next_Step"]
    with open_state(runs_env.state, runs_env.root) as state:
        started = state.audit_events(kind="run.rollback_started")
        refusals = state.audit_events(kind="run.rollback_refused")
    assert started[-1].payload["forced"] is True
    assert started[-1].payload["reason"] == "Revert the import"
    assert [e.payload["fields"] for e in refusals] == [["Next_Step"]]


def test_rollback_refused_after_edit_of_other_field(runs_env: RunsEnv) -> None:
    run_id = executed_run(runs_env)
    runs_env.edit_deal(Description="Notes from the call")

    code, body = runs_env.json("run", "rollback", run_id)

    assert code == 12
    assert body["run"]["status"] == "executed"
    assert body["details"] == [
        'Description: after the run "Onboarding sample deal: safe to change in the'
        ' sandbox.", now "Notes from the call"'
    ]


def test_rollback_of_unexecuted_run_refused(runs_env: RunsEnv) -> None:
    code, body = runs_env.json("run", "submit", "--preset", "zoho-deal")
    assert code == 10

    result = runs_env.cli("run", "rollback", body["run"]["id"])

    assert result.exit_code == 1
    assert "only an executed run can be rolled back" in result.stderr
