"""Rollback: before values written back under the post-write guard."""

from __future__ import annotations

from runs_testing import DEAL_ID, REQUESTER, RunsEnv, approved_run

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
    assert "only an executed run, or a failed run whose write landed" in result.stderr


def failed_run(env: RunsEnv) -> str:
    """Execute the sample change while a workflow replaces Next_Step."""
    run_id = approved_run(env)
    env.sandbox.configure(alter_next_write={"Next_Step": "Set by a workflow"})
    code, body = env.json("run", "execute", run_id)
    assert code == 12, body["message"]
    assert body["run"]["status"] == "failed"
    return run_id


def rollback_guards(env: RunsEnv, run_id: str) -> list[str | None]:
    """Return the If-Unmodified-Since header of each rollback write sent."""
    with open_state(env.state, env.root) as state:
        evidence = state.list_evidence(run_id)
    guards = []
    for item in evidence:
        if item.kind != "zoho_exchange" or item.content["method"] != "PUT":
            continue
        headers = {k.lower(): v for k, v in item.content["request_headers"].items()}
        guards.append(headers.get("if-unmodified-since"))
    return guards[1:]


def test_failed_run_rolls_back(runs_env: RunsEnv) -> None:
    run_id = failed_run(runs_env)

    code, body = runs_env.json("run", "rollback", run_id)

    assert code == 0, body["message"]
    assert body["run"]["status"] == "rolled_back"
    execution = body["result"]["execution"]
    rollback = body["result"]["rollback"]
    assert rollback["baseline"] == execution["verification"]["modified_time"]
    assert rollback["from_status"] == "failed"
    assert rollback["verification"]["verified"] is True
    assert rollback_guards(runs_env, run_id) == [rollback["baseline"]]
    deal = runs_env.deal()
    assert deal["Amount"] == seed.SAMPLE_DEAL["Amount"]
    assert deal["Next_Step"] == seed.SAMPLE_DEAL["Next_Step"]
    assert len(runs_env.puts()) == 2


def test_failed_run_rollback_refused_after_edit(runs_env: RunsEnv) -> None:
    run_id = failed_run(runs_env)
    runs_env.edit_deal(Next_Step="The rep's own plan")

    code, body = runs_env.json("run", "rollback", run_id)

    assert code == 12
    assert body["run"]["status"] == "failed"
    assert "rollback was refused" in body["message"]
    assert body["details"] == [
        'Next_Step: after the run "Set by a workflow", now "The rep\'s own plan"'
    ]
    assert runs_env.deal()["Next_Step"] == "The rep's own plan"

    code, body = runs_env.json(
        "run", "rollback", run_id, "--force", "--reason", "Undo the workflow"
    )

    assert code == 0, body["message"]
    assert body["run"]["status"] == "rolled_back"
    assert runs_env.deal()["Next_Step"] == seed.SAMPLE_DEAL["Next_Step"]


def test_failed_run_rollback_crash_resumes_failed(runs_env: RunsEnv) -> None:
    run_id = failed_run(runs_env)
    with open_state(runs_env.state, runs_env.root) as state:
        run = state.get_run(run_id)
        # A rollback that stored the run as rolling_back and died before sending.
        rollback = {
            "baseline": run.result["execution"]["verification"]["modified_time"],
            "values": {"Amount": 48000.0, "Next_Step": "x"},
            "from_status": "failed",
        }
        state.update_run_status(
            run_id,
            "failed",
            "rolling_back",
            result={**run.result, "rollback": rollback},
        )

    code, body = runs_env.json("run", "resume", run_id)

    assert code == 12, body["message"]
    assert body["run"]["status"] == "failed"
    assert "did not land" in body["message"]
    assert len(runs_env.puts()) == 1
    assert runs_env.cli("run", "rollback", run_id).exit_code == 0
    assert runs_env.deal()["Next_Step"] == seed.SAMPLE_DEAL["Next_Step"]


def test_failed_rollback_can_be_retried(runs_env: RunsEnv) -> None:
    run_id = executed_run(runs_env)
    runs_env.sandbox.configure(alter_next_write={"Next_Step": "Set by a workflow"})
    assert runs_env.cli("run", "rollback", run_id).exit_code == 12

    code, body = runs_env.json("run", "rollback", run_id)

    assert code == 0, body["message"]
    assert body["run"]["status"] == "rolled_back"
    assert body["result"]["rollback"]["from_status"] == "failed"
    assert runs_env.deal()["Next_Step"] == seed.SAMPLE_DEAL["Next_Step"]
    assert len(runs_env.puts()) == 3


def test_rejected_write_not_rolled_back(runs_env: RunsEnv) -> None:
    run_id = approved_run(runs_env)
    with open_state(runs_env.state, runs_env.root) as state:
        state.update_run_status(
            run_id,
            "approved",
            "failed",
            result={"execution": {"outcome": "rejected", "code": "INVALID_DATA"}},
        )

    result = runs_env.cli("run", "rollback", run_id, "--force", "--reason", "Undo")

    assert result.exit_code == 1
    assert "no write of it is known to have landed" in result.stderr
    assert runs_env.puts() == []
