"""`audit verify` detects actor kinds and evidence edited in the state file."""

from __future__ import annotations

from runs_testing import RunsEnv
from test_audit_crosscheck import edit_state, executed_run, pending_run


def test_actor_kind_edit_detected(runs_env: RunsEnv) -> None:
    run_id = pending_run(runs_env)
    with edit_state(runs_env.state) as db:
        kind = db.execute(
            "SELECT actor_kind FROM runs WHERE id = ?", (run_id,)
        ).fetchone()[0]
        other = "agent" if kind != "agent" else "human"
        db.execute("UPDATE runs SET actor_kind = ? WHERE id = ?", (other, run_id))

    code, body = runs_env.json("audit", "verify")

    assert code == 1
    [found] = body["disagreements"]
    assert found["run_id"] == run_id
    assert found["field"] == "actor_kind"
    assert found["table_value"] == f'"{other}"'
    assert found["audit_value"] == f'"{kind}"'


def test_decision_evidence_edit_detected(runs_env: RunsEnv) -> None:
    run_id = pending_run(runs_env)
    with edit_state(runs_env.state) as db:
        seq = db.execute(
            "SELECT seq FROM evidence WHERE run_id = ? AND kind = 'decision'",
            (run_id,),
        ).fetchone()[0]
        db.execute(
            "UPDATE evidence SET content = replace(content, 'revops-leads',"
            " 'data-stewards') WHERE run_id = ? AND seq = ?",
            (run_id, seq),
        )

    code, body = runs_env.json("audit", "verify")

    assert code == 1
    [found] = body["disagreements"]
    assert found["run_id"] == run_id
    assert found["table"] == "evidence"
    assert found["field"] == f"evidence #{seq}"
    assert f"evidence #{seq} (decision) in the evidence table" in found["message"]


def test_deleted_evidence_detected(runs_env: RunsEnv) -> None:
    run_id = executed_run(runs_env)
    with edit_state(runs_env.state) as db:
        db.execute(
            "DELETE FROM evidence WHERE run_id = ? AND kind = 'read_back'", (run_id,)
        )

    result = runs_env.cli("audit", "verify")

    assert result.exit_code == 1
    assert "in the evidence table hashes to missing" in result.stdout


def test_every_evidence_item_recorded(runs_env: RunsEnv) -> None:
    run_id = executed_run(runs_env)
    with edit_state(runs_env.state) as db:
        stored = [
            row[0]
            for row in db.execute(
                "SELECT seq FROM evidence WHERE run_id = ? ORDER BY seq", (run_id,)
            )
        ]

    _, log = runs_env.json("audit", "log", "--subject", f"run/{run_id}")
    recorded = [
        item["seq"]
        for event in log["events"]
        for item in event["payload"].get("evidence", [])
    ]

    assert recorded == stored
    code, body = runs_env.json("audit", "verify")
    assert code == 0, body["disagreements"]
