"""Execution: the If-Unmodified-Since guard, and writes whose fate is unknown."""

from __future__ import annotations

from runs_testing import RunsEnv, approved_run

from actionplane.state import open_state
from actionplane.zoho.sandbox import seed


def test_conflict_writes_nothing(runs_env: RunsEnv) -> None:
    run_id = approved_run(runs_env)
    runs_env.edit_deal(Description="Edited by the account owner")

    code, body = runs_env.json("run", "execute", run_id)

    assert code == 12
    assert body["run"]["status"] == "conflict"
    assert "412 ALREADY_MODIFIED" in body["message"]
    assert "Description" in body["message"]
    conflict = body["result"]["conflict"]
    assert [f["field"] for f in conflict["fields"]] == ["Description"]
    assert [c["status"] for c in runs_env.puts()] == [200, 412]
    deal = runs_env.deal()
    assert deal["Amount"] == seed.SAMPLE_DEAL["Amount"]
    assert deal["Next_Step"] == seed.SAMPLE_DEAL["Next_Step"]


def test_conflict_run_cannot_execute_again(runs_env: RunsEnv) -> None:
    run_id = approved_run(runs_env)
    runs_env.edit_deal(Next_Step="Someone else's plan")
    assert runs_env.cli("run", "execute", run_id).exit_code == 12

    again = runs_env.cli("run", "execute", run_id)

    assert again.exit_code == 1
    assert "is conflict, not approved" in again.stderr
    assert len(runs_env.puts()) == 2


def test_altered_write_fails_verification(runs_env: RunsEnv) -> None:
    run_id = approved_run(runs_env)
    # Zoho accepts the write, then a workflow field update replaces Next_Step.
    runs_env.sandbox.configure(alter_next_write={"Next_Step": "Set by a workflow"})

    code, body = runs_env.json("run", "execute", run_id)

    assert code == 12
    assert body["run"]["status"] == "failed"
    assert "read-back differs in Next_Step" in body["message"]
    assert body["details"] == [
        'Next_Step: wrote "Send the renewal quote for approval",'
        ' read back "Set by a workflow"'
    ]
    assert body["next_steps"] == [f"actionplane run rollback {run_id}"]
    verification = body["result"]["execution"]["verification"]
    assert verification["verified"] is False
    assert verification["mismatches"] == [
        {
            "field": "Next_Step",
            "expected": "Send the renewal quote for approval",
            "current": "Set by a workflow",
        }
    ]
    with open_state(runs_env.state, runs_env.root) as state:
        read_backs = [e for e in state.list_evidence(run_id) if e.kind == "read_back"]
        failures = state.audit_events(kind="run.execution_failed")
    assert [e.content["mismatches"] for e in read_backs] == [verification["mismatches"]]
    assert [e.payload["to"] for e in failures] == ["failed"]
    assert len(runs_env.puts()) == 1
    assert runs_env.deal()["Next_Step"] == "Set by a workflow"
    assert runs_env.deal()["Amount"] == 150000.0


def test_failed_verification_writes_nothing_more(runs_env: RunsEnv) -> None:
    run_id = approved_run(runs_env)
    runs_env.sandbox.configure(alter_next_write={"Amount": 149000.0})
    assert runs_env.cli("run", "execute", run_id).exit_code == 12

    again = runs_env.cli("run", "execute", run_id)
    resumed = runs_env.cli("run", "resume", run_id)
    shown = runs_env.cli("run", "show", run_id)

    assert again.exit_code == 1
    assert "is failed, not approved" in again.stderr
    assert f"actionplane run rollback {run_id}" in again.stderr
    assert resumed.exit_code == 1
    assert "no write to resume" in resumed.stderr
    assert shown.exit_code == 0
    assert f"Run {run_id} (live) is failed" in shown.stdout
    assert "Amount: wrote 150000.0, read 149000.0" in shown.stdout
    assert len(runs_env.puts()) == 1
    assert runs_env.deal()["Amount"] == 149000.0


def test_dropped_connection_resolved_by_resume(runs_env: RunsEnv) -> None:
    run_id = approved_run(runs_env)
    # The write is applied, the connection drops, and every read-back attempt
    # of the client fails, so the command cannot tell whether the write landed.
    runs_env.sandbox.configure(drop_next_write=True, fail_next_reads=3)

    code, body = runs_env.json("run", "execute", run_id)

    assert code == 12
    assert body["run"]["status"] == "executing"
    assert body["next_steps"] == [f"actionplane run resume {run_id}"]
    assert body["result"]["execution"]["outcome"] == "unknown"

    code, body = runs_env.json("run", "resume", run_id)

    assert code == 0, body["message"]
    assert body["run"]["status"] == "executed"
    assert body["result"]["execution"]["verification"]["verified"] is True
    puts = runs_env.puts()
    assert len(puts) == 1
    assert puts[0]["dropped"] is True
    assert runs_env.deal()["Amount"] == 150000.0


def test_dropped_connection_settled_by_next_command(runs_env: RunsEnv) -> None:
    run_id = approved_run(runs_env)
    runs_env.sandbox.configure(drop_next_write=True, fail_next_reads=3)
    assert runs_env.cli("run", "execute", run_id).exit_code == 12

    shown = runs_env.cli("run", "show", run_id)

    assert shown.exit_code == 0
    assert "was left executing by an interrupted command" in shown.stderr
    assert f"Run {run_id} (live) is executed" in shown.stdout
    assert len(runs_env.puts()) == 1


def test_dropped_connection_resolved_inline(runs_env: RunsEnv) -> None:
    run_id = approved_run(runs_env)
    runs_env.sandbox.configure(drop_next_write=True)

    code, body = runs_env.json("run", "execute", run_id)

    assert code == 0, body["message"]
    assert body["run"]["status"] == "executed"
    assert body["result"]["execution"]["source"] == "read_back"
    assert len(runs_env.puts()) == 1


def test_resume_of_settled_run_refused(runs_env: RunsEnv) -> None:
    run_id = approved_run(runs_env)
    assert runs_env.cli("run", "execute", run_id).exit_code == 0

    result = runs_env.cli("run", "resume", run_id)

    assert result.exit_code == 1
    assert "no write to resume" in result.stderr


def test_crash_before_write_returns_to_approved(runs_env: RunsEnv) -> None:
    run_id = approved_run(runs_env)
    with open_state(runs_env.state, runs_env.root) as state:
        run = state.get_run(run_id)
        # A command that stored the run as executing and died before sending.
        state.update_run_status(
            run_id,
            "approved",
            "executing",
            result={
                "execution": {
                    "baseline": run.preview["modified_time"],
                    "values": {"Amount": 150000.0, "Next_Step": "x"},
                }
            },
        )

    code, body = runs_env.json("run", "resume", run_id)

    assert code == 12
    assert body["run"]["status"] == "approved"
    assert "did not land" in body["message"]
    assert runs_env.puts() == []
    assert runs_env.cli("run", "execute", run_id).exit_code == 0
    assert len(runs_env.puts()) == 1


def test_dry_run_cannot_execute(runs_env: RunsEnv) -> None:
    code, body = runs_env.json(
        "run",
        "submit",
        "--preset",
        "zoho-deal",
        "--set",
        "Amount=50000",
        "--dry-run",
    )
    assert code == 0

    result = runs_env.cli("run", "execute", body["run"]["id"])

    assert result.exit_code == 1
    assert "dry run" in result.stderr
    assert runs_env.puts() == []
