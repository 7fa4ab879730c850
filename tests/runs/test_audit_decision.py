"""`audit verify`, approve and execute detect a decision edited in the state file."""

from __future__ import annotations

from runs_testing import RunsEnv
from test_audit_crosscheck import edit_state, pending_run


def change_approvers(env: RunsEnv, run_id: str) -> None:
    """Let data-stewards, of whom lee.chen is one, approve the run."""
    with edit_state(env.state) as db:
        db.execute(
            "UPDATE runs SET decision = replace(decision, 'revops-leads',"
            " 'data-stewards') WHERE id = ?",
            (run_id,),
        )


def test_approver_groups_edit_detected(runs_env: RunsEnv) -> None:
    run_id = pending_run(runs_env)
    change_approvers(runs_env, run_id)

    code, body = runs_env.json("audit", "verify")

    assert code == 1
    [found] = body["disagreements"]
    assert found["run_id"] == run_id
    assert found["table"] == "runs"
    assert found["field"] == "decision"
    assert found["audit_value"].startswith("sha256:")
    assert "approver groups" in found["message"]


def test_approval_after_decision_edit_rejected(runs_env: RunsEnv) -> None:
    run_id = pending_run(runs_env)
    change_approvers(runs_env, run_id)

    result = runs_env.cli("run", "approve", run_id, "--as", "lee.chen")

    assert result.exit_code != 0
    assert f"run {run_id}: the decision in the runs table hashes to" in result.output
    assert runs_env.puts() == []


def test_execute_after_decision_edit_rejected(runs_env: RunsEnv) -> None:
    run_id = pending_run(runs_env)
    approved = runs_env.cli("run", "approve", run_id, "--as", "dana.lee")
    assert approved.exit_code == 0, approved.output
    change_approvers(runs_env, run_id)

    result = runs_env.cli("run", "execute", run_id)

    assert result.exit_code != 0
    assert "changed outside actionplane" in result.output
    assert runs_env.puts() == []
