"""Counts, repeated executes and rejects as `run` commands word them."""

from __future__ import annotations

from runs_testing import RunsEnv

from actionplane.state import open_state
from actionplane.state.clock import format_time


def approved_run(env: RunsEnv) -> str:
    submitted = env.cli("run", "submit", "--preset", "zoho-deal", "--format", "json")
    run_id = env.run_id(submitted)
    approved = env.cli("run", "approve", run_id, "--as", "dana.lee")
    assert approved.exit_code == 0, approved.output
    return run_id


def entered_at(env: RunsEnv, run_id: str, status: str) -> str:
    with open_state(env.state, env.root) as state:
        times = [t.at for t in state.run_transitions(run_id) if t.to_status == status]
    return format_time(times[-1])


def test_show_counts_one_audit_entry(runs_env: RunsEnv) -> None:
    submitted = runs_env.cli(
        "run", "submit", "--preset", "zoho-deal", "--dry-run", "--format", "json"
    )
    run_id = runs_env.run_id(submitted)

    result = runs_env.cli("run", "show", run_id)

    assert result.exit_code == 0
    assert " and 1 audit entry. Export them" in result.stdout
    assert "(s)" not in result.stdout


def test_decision_counts_one_approval(runs_env: RunsEnv) -> None:
    result = runs_env.cli("run", "submit", "--preset", "zoho-deal", "--dry-run")

    assert "  Approvers: revops-leads (1 approval needed)" in result.stdout
    assert "(s)" not in result.stdout


def test_second_execute_names_time(runs_env: RunsEnv) -> None:
    run_id = approved_run(runs_env)
    assert runs_env.cli("run", "execute", run_id).exit_code == 0
    executed_at = entered_at(runs_env, run_id, "executed")

    again = runs_env.cli("run", "execute", run_id)

    assert again.exit_code == 1
    assert f"run {run_id} was already executed at {executed_at}" in again.stderr
    assert f"actionplane run rollback {run_id}" in again.stderr
    assert "not approved" not in again.stderr
    assert len(runs_env.puts()) == 1


def test_execute_after_rollback_names_times(runs_env: RunsEnv) -> None:
    run_id = approved_run(runs_env)
    assert runs_env.cli("run", "execute", run_id).exit_code == 0
    assert runs_env.cli("run", "rollback", run_id).exit_code == 0
    executed_at = entered_at(runs_env, run_id, "executed")
    rolled_back_at = entered_at(runs_env, run_id, "rolled_back")

    again = runs_env.cli("run", "execute", run_id)

    assert again.exit_code == 1
    assert f"was already executed at {executed_at}" in again.stderr
    assert f"It was rolled back at {rolled_back_at}." in again.stderr
    assert len(runs_env.puts()) == 2


def test_reject_of_approved_run(runs_env: RunsEnv) -> None:
    run_id = approved_run(runs_env)

    code, body = runs_env.json(
        "run", "reject", run_id, "--as", "sam.ortiz", "--reason", "Wrong deal"
    )

    assert code == 0
    assert body["run"]["status"] == "rejected"
    assert runs_env.cli("run", "execute", run_id).exit_code == 1
    assert runs_env.puts() == []


def test_reject_help_names_approved_runs(runs_env: RunsEnv) -> None:
    result = runs_env.cli("run", "reject", "--help")

    help_text = " ".join(result.stdout.split())
    assert "Reject a run that is pending approval, or approved but not yet" in (
        help_text
    )
