"""`audit verify` compares the run tables with the audit trail, on the real state file."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from runs_testing import RunsEnv


@contextmanager
def edit_state(path: Path) -> Iterator[sqlite3.Connection]:
    """Open the state file as someone bypassing actionplane would."""
    db = sqlite3.connect(path)
    try:
        yield db
        db.commit()
    finally:
        db.close()


def executed_run(env: RunsEnv) -> str:
    """Submit, approve and execute the sample change; return the run id."""
    submitted = env.cli("run", "submit", "--preset", "zoho-deal", "--format", "json")
    run_id = env.run_id(submitted)
    approved = env.cli("run", "approve", run_id, "--as", "dana.lee", "--reason", "Ok")
    assert approved.exit_code == 0, approved.output
    executed = env.cli("run", "execute", run_id)
    assert executed.exit_code == 0, executed.output
    return run_id


def pending_run(env: RunsEnv) -> str:
    submitted = env.cli("run", "submit", "--preset", "zoho-deal", "--format", "json")
    assert submitted.exit_code == 10, submitted.output
    return env.run_id(submitted)


def test_intact_state_prints_head_advice(runs_env: RunsEnv) -> None:
    executed_run(runs_env)

    result = runs_env.cli("audit", "verify")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    head = json.loads(runs_env.cli("audit", "verify", "--format", "json").stdout)[
        "head_hash"
    ]
    assert "Audit trail intact: 5 entries" in lines[0]
    assert lines[1] == "Run tables match the audit trail: 1 run checked."
    assert lines[-2] == f"Head hash: {head}"
    assert "for example in CI logs" in lines[-1]
    assert lines[-1].endswith(f"actionplane audit verify --head {head}")


def test_given_head_confirmed(runs_env: RunsEnv) -> None:
    executed_run(runs_env)
    _, body = runs_env.json("audit", "verify")

    result = runs_env.cli("audit", "verify", "--head", body["head_hash"])

    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "It matches the hash given with --head."


def test_status_set_back_detected(runs_env: RunsEnv) -> None:
    run_id = executed_run(runs_env)
    with edit_state(runs_env.state) as db:
        db.execute("UPDATE runs SET status = 'approved' WHERE id = ?", (run_id,))

    result = runs_env.cli("audit", "verify")

    assert result.exit_code == 1
    assert (
        f'run {run_id}: status is "approved" in the runs table, but the audit'
        ' trail records "executed"'
    ) in result.stdout
    assert "Head hash" not in result.stdout
    assert "changed outside actionplane" in result.stdout


def test_approver_change_detected(runs_env: RunsEnv) -> None:
    run_id = executed_run(runs_env)
    with edit_state(runs_env.state) as db:
        db.execute("UPDATE approvals SET approver = 'priya.raman'")

    code, body = runs_env.json("audit", "verify")

    assert code == 1
    assert body["ok"] is False
    assert body["problems"] == []
    [found] = body["disagreements"]
    assert found["run_id"] == run_id
    assert found["table"] == "approvals"
    assert found["field"].endswith(" approver")
    assert found["table_value"] == '"priya.raman"'
    assert found["audit_value"] == '"dana.lee"'
    assert isinstance(found["seq"], int)


def test_forged_approval_detected(runs_env: RunsEnv) -> None:
    run_id = pending_run(runs_env)
    with edit_state(runs_env.state) as db:
        digest = db.execute(
            "SELECT digest FROM runs WHERE id = ?", (run_id,)
        ).fetchone()[0]
        db.execute(
            "INSERT INTO approvals (run_id, approver, decision, reason, digest,"
            " created_at) VALUES (?, 'dana.lee', 'approve', '', ?,"
            " '2026-01-01T00:00:00Z')",
            (run_id, digest),
        )
        db.execute("UPDATE runs SET status = 'approved' WHERE id = ?", (run_id,))

    result = runs_env.cli("audit", "verify")

    assert result.exit_code == 1
    assert "(approve by dana.lee) is in the approvals table, but no audit" in (
        result.stdout
    )
    assert '"approved" in the runs table' in result.stdout


def test_deleted_approval_detected(runs_env: RunsEnv) -> None:
    run_id = executed_run(runs_env)
    with edit_state(runs_env.state) as db:
        db.execute("DELETE FROM approvals WHERE run_id = ?", (run_id,))

    result = runs_env.cli("audit", "verify")

    assert result.exit_code == 1
    assert "records approve by dana.lee, but the approvals table has no row" in (
        result.stdout
    )


def test_requester_change_detected(runs_env: RunsEnv) -> None:
    # A changed requester would let the real requester approve their own run.
    run_id = pending_run(runs_env)
    with edit_state(runs_env.state) as db:
        db.execute("UPDATE runs SET actor_id = 'lee.chen' WHERE id = ?", (run_id,))

    result = runs_env.cli("audit", "verify")

    assert result.exit_code == 1
    assert 'actor_id is "lee.chen" in the runs table' in result.stdout
    assert '"avery.quinn"' in result.stdout


def test_request_edit_detected(runs_env: RunsEnv) -> None:
    run_id = pending_run(runs_env)
    with edit_state(runs_env.state) as db:
        db.execute(
            "UPDATE runs SET request = replace(request, '150000.0', '990000.0'),"
            " preview = replace(preview, '150000.0', '990000.0') WHERE id = ?",
            (run_id,),
        )

    result = runs_env.cli("audit", "verify")

    assert result.exit_code == 1
    assert f"run {run_id}: the stored request, preview and revision hash to" in (
        result.stdout
    )


def test_preview_edit_detected(runs_env: RunsEnv) -> None:
    run_id = pending_run(runs_env)
    with edit_state(runs_env.state) as db:
        db.execute(
            "UPDATE runs SET preview = replace(preview, '150000.0', '990000.0')"
            " WHERE id = ?",
            (run_id,),
        )

    result = runs_env.cli("audit", "verify")

    assert result.exit_code == 1
    assert "the preview's changes differ from the request's changes" in (result.stdout)


def test_status_history_edit_detected(runs_env: RunsEnv) -> None:
    run_id = executed_run(runs_env)
    with edit_state(runs_env.state) as db:
        db.execute(
            "DELETE FROM run_transitions WHERE run_id = ? AND to_status = ?",
            (run_id, "pending_approval"),
        )

    result = runs_env.cli("audit", "verify")

    assert result.exit_code == 1
    assert "status history is" in result.stdout
    assert "in the run_transitions table" in result.stdout


def test_deleted_newest_entry_detected(runs_env: RunsEnv) -> None:
    run_id = executed_run(runs_env)
    with edit_state(runs_env.state) as db:
        db.execute("DROP TRIGGER audit_events_no_delete")
        db.execute(
            "DELETE FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events)"
        )

    result = runs_env.cli("audit", "verify")

    assert result.exit_code == 1
    assert f'run {run_id}: status is "executed" in the runs table' in result.stdout
