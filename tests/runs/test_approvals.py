"""Approvals: who may approve, digest binding, expiry and approval counts."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import git
from runs_testing import REQUESTER, RunsEnv, apply_workspace

from actionplane.runs.context import RunContext
from actionplane.runs.execute import execute_run
from actionplane.state import open_state
from actionplane.state.clock import utc_now
from actionplane.zoho.sandbox import seed


def pending_run(env: RunsEnv) -> str:
    code, body = env.json("run", "submit", "--preset", "zoho-deal")
    assert code == 10, body["message"]
    assert body["run"]["status"] == "pending_approval"
    return str(body["run"]["id"])


def status_of(env: RunsEnv, run_id: str) -> str:
    with open_state(env.state, env.root) as state:
        return state.get_run(run_id).status


def test_self_approval_refused(runs_env: RunsEnv) -> None:
    run_id = pending_run(runs_env)

    result = runs_env.cli("run", "approve", run_id, "--as", REQUESTER)

    assert result.exit_code == 1
    assert f"{REQUESTER} requested run {run_id} and cannot approve it" in result.stderr
    assert status_of(runs_env, run_id) == "pending_approval"


def test_requester_in_approver_group_refused(runs_env: RunsEnv) -> None:
    code, body = runs_env.json(
        "run", "submit", "--preset", "zoho-deal", "--actor", "dana.lee"
    )
    assert code == 10
    run_id = body["run"]["id"]

    result = runs_env.cli("run", "approve", run_id, "--as", "dana.lee")

    assert result.exit_code == 1
    assert "cannot approve it" in result.stderr


def test_requester_in_other_case_refused(runs_env: RunsEnv) -> None:
    code, body = runs_env.json(
        "run", "submit", "--preset", "zoho-deal", "--actor", "Dana.Lee"
    )
    assert code == 10
    run_id = body["run"]["id"]

    result = runs_env.cli("run", "approve", run_id, "--as", "dana.lee")

    assert result.exit_code == 1
    assert "cannot approve it" in result.stderr
    assert status_of(runs_env, run_id) == "pending_approval"


def test_non_member_approval_refused(runs_env: RunsEnv) -> None:
    run_id = pending_run(runs_env)

    result = runs_env.cli("run", "approve", run_id, "--as", "lee.chen")

    assert result.exit_code == 1
    assert "lee.chen is not a member of an approver group" in result.stderr
    assert "revops-leads: dana.lee, sam.ortiz" in result.stderr
    with open_state(runs_env.state, runs_env.root) as state:
        assert state.list_approvals(run_id) == []


def test_approval_rejected_when_record_moved(runs_env: RunsEnv) -> None:
    run_id = pending_run(runs_env)
    runs_env.edit_deal(Amount=61000.0)

    code, body = runs_env.json("run", "approve", run_id, "--as", "dana.lee")

    assert code == 12
    assert body["run"]["status"] == "conflict"
    assert "Amount" in body["message"]
    assert "digest no longer matches" in body["message"]
    assert body["details"] == ["Amount: previewed 48000.0, now 61000.0"]
    with open_state(runs_env.state, runs_env.root) as state:
        assert state.list_approvals(run_id) == []
    refused = runs_env.cli("run", "execute", run_id)
    assert refused.exit_code == 1
    # The only write is the other user's edit.
    assert len(runs_env.puts()) == 1


def test_approval_then_execute(runs_env: RunsEnv) -> None:
    run_id = pending_run(runs_env)

    code, body = runs_env.json("run", "approve", run_id, "--as", "dana.lee")
    assert code == 0
    assert body["run"]["status"] == "approved"
    assert body["next_steps"] == [f"actionplane run execute {run_id}"]

    code, body = runs_env.json("run", "execute", run_id)
    assert code == 0
    assert body["run"]["status"] == "executed"
    assert runs_env.deal()["Amount"] == 150000.0
    with open_state(runs_env.state, runs_env.root) as state:
        steps = [s.step for s in state.onboarding_progress("zoho-sandbox")]
    assert "approved_write" in steps


def test_expired_approval_not_counted(runs_env: RunsEnv) -> None:
    run_id = pending_run(runs_env)
    assert runs_env.cli("run", "approve", run_id, "--as", "dana.lee").exit_code == 0
    later = utc_now() + timedelta(hours=24, minutes=1)

    with (
        open_state(runs_env.state, runs_env.root) as state,
        RunContext(state, runs_env.root, "ops", clock=lambda: later) as ctx,
    ):
        outcome = execute_run(ctx, run_id)

    assert outcome.exit_code == 10
    assert outcome.run.status == "pending_approval"
    assert outcome.details[0].startswith("approval by dana.lee expired at")
    assert runs_env.puts() == []

    assert runs_env.cli("run", "approve", run_id, "--as", "sam.ortiz").exit_code == 0
    assert runs_env.cli("run", "execute", run_id).exit_code == 0
    assert [c["status"] for c in runs_env.puts()] == [200]


def test_approval_still_valid_before_expiry(runs_env: RunsEnv) -> None:
    run_id = pending_run(runs_env)
    runs_env.cli("run", "approve", run_id, "--as", "dana.lee")
    soon = utc_now() + timedelta(hours=23, minutes=59)

    with (
        open_state(runs_env.state, runs_env.root) as state,
        RunContext(state, runs_env.root, "ops", clock=lambda: soon) as ctx,
    ):
        outcome = execute_run(ctx, run_id)

    assert outcome.exit_code == 0, outcome.message
    assert outcome.run.status == "executed"


def require_two_approvals(env: RunsEnv) -> None:
    deals = env.root / "policies" / "deals.yaml"
    text = deals.read_text()
    marker = "    approvers: [revops-leads]\n    message: Amounts above"
    assert marker in text
    deals.write_text(
        text.replace(
            marker,
            "    approvers: [revops-leads]\n    requiredApprovals: 2\n"
            "    message: Amounts above",
            1,
        )
    )
    repo = git.Repo(env.root)
    repo.git.add(A=True)
    repo.index.commit("Require two approvals for large amounts")
    apply_workspace(env.root, env.state, env.tmp / "second")


def test_two_approvers_needed(runs_env: RunsEnv) -> None:
    (runs_env.tmp / "second").mkdir()
    require_two_approvals(runs_env)
    run_id = pending_run(runs_env)

    code, body = runs_env.json("run", "approve", run_id, "--as", "dana.lee")
    assert code == 10
    assert body["run"]["status"] == "pending_approval"
    assert "1 more approval from a different member" in body["message"]

    again = runs_env.cli("run", "approve", run_id, "--as", "dana.lee")
    assert again.exit_code == 1
    assert "is already approved by dana.lee" in again.stderr

    early = runs_env.cli("run", "execute", run_id)
    assert early.exit_code == 1
    assert "waiting for approval" in early.stderr

    code, body = runs_env.json("run", "approve", run_id, "--as", "sam.ortiz")
    assert code == 0
    assert body["run"]["status"] == "approved"
    assert runs_env.cli("run", "execute", run_id).exit_code == 0
    assert runs_env.deal()["Amount"] == 150000.0


def test_parallel_approvals_by_one_person(runs_env: RunsEnv) -> None:
    (runs_env.tmp / "second").mkdir()
    require_two_approvals(runs_env)
    run_id = pending_run(runs_env)
    # Each command reads the record before it stores its approval, so with a
    # slow Zoho all three pass the early check before any has stored a row.
    runs_env.sandbox.configure(latency_ms=300)
    argv = [sys.executable, "-m", "actionplane", "run", "approve", run_id]
    argv += ["--as", "dana.lee", "-w", str(runs_env.root)]
    argv += ["--state", str(runs_env.state)]
    approvers = [
        subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    results = []
    for process in approvers:
        stdout, stderr = process.communicate(timeout=60)
        results.append((process.returncode, stdout, stderr))

    assert sorted(code for code, _, _ in results) == [1, 1, 10]
    losers = [stderr for code, _, stderr in results if code == 1]
    for stderr in losers:
        assert f"run {run_id} is already approved by dana.lee" in stderr
    with open_state(runs_env.state, runs_env.root) as state:
        approvals = state.list_approvals(run_id)
        added = state.audit_events(kind="run.approval_added")
        assert state.get_run(run_id).status == "pending_approval"
    assert [a.approver for a in approvals] == ["dana.lee"]
    assert len(added) == 1


def test_reject_stops_the_run(runs_env: RunsEnv) -> None:
    run_id = pending_run(runs_env)

    code, body = runs_env.json(
        "run", "reject", run_id, "--as", "sam.ortiz", "--reason", "Wrong deal"
    )

    assert code == 0
    assert body["run"]["status"] == "rejected"
    refused = runs_env.cli("run", "approve", run_id, "--as", "dana.lee")
    assert refused.exit_code == 1
    assert runs_env.puts() == []
    assert runs_env.deal()["Amount"] == seed.SAMPLE_DEAL["Amount"]


def test_execute_refused_after_new_revision(runs_env: RunsEnv) -> None:
    run_id = pending_run(runs_env)
    assert runs_env.cli("run", "approve", run_id, "--as", "dana.lee").exit_code == 0
    (runs_env.tmp / "second").mkdir()
    require_two_approvals(runs_env)

    code, body = runs_env.json("run", "execute", run_id)

    assert code == 12
    assert body["run"]["status"] == "conflict"
    assert "Revision 2 was applied after revision 1" in body["message"]
    assert runs_env.puts() == []


def test_credential_like_record_value(runs_env: RunsEnv) -> None:
    # Redaction rewrites this before value in the stored preview, so the
    # approval's re-read must compare in the same stored form.
    runs_env.edit_deal(Next_Step="Mail token=0f3a9c1e to the buyer")
    run_id = pending_run(runs_env)

    approved = runs_env.cli("run", "approve", run_id, "--as", "dana.lee")
    assert approved.exit_code == 0, approved.output
    assert runs_env.cli("run", "execute", run_id).exit_code == 0

    rollback = runs_env.cli("run", "rollback", run_id)
    assert rollback.exit_code == 1
    assert "before value of Next_Step looked like a credential" in rollback.stderr
    assert runs_env.deal()["Next_Step"] == "Send the renewal quote for approval"
