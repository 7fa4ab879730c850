from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import git
import pytest
from tests.plan.helpers import commit_change, run


def plan(root: Path, state: str, *extra: str):
    return run("plan", "-w", str(root), "--state", state, *extra)


def test_first_plan_and_apply(git_workspace, state, tmp_path):
    saved = tmp_path / "first.json"
    result = plan(git_workspace, state, "--out", str(saved), "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    assert "nothing applied yet" in result.output
    assert f"actionplane apply {saved}" in result.output
    applied = run("apply", str(saved), "-w", str(git_workspace), "--state", state)
    assert applied.exit_code == 0, applied.output
    assert "revision 1" in applied.output
    again = run("apply", str(saved), "-w", str(git_workspace), "--state", state)
    assert again.exit_code == 0, again.output
    assert "No changes: revision 1" in again.output
    unchanged = plan(git_workspace, state, "--detailed-exitcode")
    assert unchanged.exit_code == 0, unchanged.output
    assert "No changes" in unchanged.output


def test_raised_threshold_shows_decision_diff(git_workspace, state, tmp_path):
    first = tmp_path / "first.json"
    plan(git_workspace, state, "--out", str(first))
    assert (
        run("apply", str(first), "-w", str(git_workspace), "--state", state).exit_code
        == 0
    )
    commit_change(
        git_workspace,
        "policies/deals.yaml",
        "> 100000.0",
        "> 120000.0",
        "Raise the threshold",
    )
    result = plan(git_workspace, state, "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert "<!-- actionplane:plan" in result.output
    assert "newly allowed" in result.output
    match = re.search(r"(\d+) newly allowed", result.output)
    assert match and int(match.group(1)) > 0
    assert "large-amount-needs-approval" in result.output


def test_stale_plan_names_newer_revision(git_workspace, state, tmp_path):
    first = tmp_path / "first.json"
    plan(git_workspace, state, "--out", str(first))
    run("apply", str(first), "-w", str(git_workspace), "--state", state)
    commit_change(
        git_workspace,
        "policies/deals.yaml",
        "> 100000.0",
        "> 120000.0",
        "Raise the threshold",
    )
    older = tmp_path / "older.json"
    plan(git_workspace, state, "--out", str(older))
    commit_change(
        git_workspace,
        "policies/deals.yaml",
        "> 120000.0",
        "> 110000.0",
        "Lower it a bit",
    )
    newer = tmp_path / "newer.json"
    plan(git_workspace, state, "--out", str(newer))
    assert (
        run("apply", str(newer), "-w", str(git_workspace), "--state", state).exit_code
        == 0
    )
    refused = run("apply", str(older), "-w", str(git_workspace), "--state", state)
    assert refused.exit_code == 1
    head = git.Repo(git_workspace).head.commit.hexsha[:12]
    assert "stale" in refused.output
    assert f"revision 2 (commit {head})" in refused.output


def test_edited_plan_file_is_rejected(git_workspace, state, tmp_path):
    saved = tmp_path / "plan.json"
    plan(git_workspace, state, "--out", str(saved))
    data = json.loads(saved.read_text())
    data["desired"]["files"]["policies/deals.yaml"] += "\n# sneaky\n"
    saved.write_text(json.dumps(data))
    refused = run("apply", str(saved), "-w", str(git_workspace), "--state", state)
    assert refused.exit_code == 1
    assert "does not match its digest" in refused.output


def test_plan_refused_when_metadata_moved(git_workspace, state, tmp_path):
    saved = tmp_path / "plan.json"
    plan(git_workspace, state, "--out", str(saved))
    from actionplane.metadata.snapshot import load_snapshot, write_snapshot

    snapshot = load_snapshot(git_workspace, "zoho-sandbox")
    snapshot.modules["Deals"]["fields"]["Next_Step"]["length"] = 10
    write_snapshot(git_workspace, snapshot)
    refused = run("apply", str(saved), "-w", str(git_workspace), "--state", state)
    assert refused.exit_code == 1
    assert "Deals.Next_Step changed" in refused.output


def test_base_ref_plan_for_pull_requests(git_workspace, tmp_path):
    repo = git.Repo(git_workspace)
    repo.git.checkout("-b", "widen")
    commit_change(
        git_workspace,
        "connectors.yaml",
        "allowedFields: [Title, Phone, Description]",
        "allowedFields: [Title, Phone, Description, Email]",
        "Allow Email",
    )
    result = run("plan", "-w", str(git_workspace), "--base", "main", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["format_version"] == "1"
    assert data["base"]["kind"] == "ref"
    kinds = [(c["kind"], c["subject"], c["risk"]) for c in data["changes"]]
    assert ("allowlist", "zoho-sandbox.Contacts.Email", "medium") in kinds
    saved = tmp_path / "pr.json"
    run("plan", "-w", str(git_workspace), "--base", "main", "--out", str(saved))
    refused = run(
        "apply", str(saved), "-w", str(git_workspace), "--state", str(tmp_path / "s.db")
    )
    assert refused.exit_code == 1
    assert "cannot be applied" in refused.output


def test_check_finds_read_only_field_and_picklist_label(git_workspace):
    repo = git.Repo(git_workspace)
    repo.git.checkout("-b", "bad")
    commit_change(
        git_workspace,
        "connectors.yaml",
        "allowedFields: [Stage, Amount, Closing_Date, Next_Step]",
        "allowedFields: [Stage, Amount, Closing_Date, Next_Step, Expected_Revenue]",
        "Allow Expected_Revenue",
    )
    commit_change(
        git_workspace,
        "policies/deals.yaml",
        'request.changes.Stage.after == "Closed Won"',
        'request.changes.Stage.after == "Identify Decision Makers"',
        "Use a label",
    )
    result = run("check", "-w", str(git_workspace))
    assert result.exit_code == 1
    assert (
        "error[metadata.field-not-writable]: Deals.Expected_Revenue cannot be written"
        in result.output
    )
    assert "--> connectors.yaml:31:65" in result.output
    assert "error[rule.literal-type]" in result.output
    assert "its stored value is 'Id. Decision Makers'" in result.output
    assert re.search(r"--> policies/deals\.yaml:\d+:\d+", result.output)


def test_second_apply_fails_naming_the_holder(git_workspace, state, tmp_path):
    from actionplane.state import open_state

    saved = tmp_path / "plan.json"
    plan(git_workspace, state, "--out", str(saved))
    store = open_state(Path(state), git_workspace)
    store.acquire_lock("apply", "dana@ci-runner-7 pid 4242", "apply plan-abc", 600)
    refused = run("apply", str(saved), "-w", str(git_workspace), "--state", state)
    store.close()
    assert refused.exit_code == 1
    assert "dana@ci-runner-7 pid 4242" in refused.output
    assert "apply plan-abc" in refused.output


def test_second_apply_waits_for_the_lock(git_workspace, state, tmp_path):
    import threading

    from actionplane.state import open_state

    saved = tmp_path / "plan.json"
    plan(git_workspace, state, "--out", str(saved))
    store = open_state(Path(state), git_workspace)
    held = store.acquire_lock("apply", "first-apply", "apply", 600)
    store.close()

    def release() -> None:
        other = open_state(Path(state), git_workspace)
        other.release_lock(held.id, "first-apply")
        other.close()

    timer = threading.Timer(0.5, release)
    timer.start()
    try:
        applied = run(
            "apply",
            str(saved),
            "-w",
            str(git_workspace),
            "--state",
            state,
            "--lock-timeout",
            "10",
        )
    finally:
        timer.join()
    assert applied.exit_code == 0, applied.output
    assert "revision 1" in applied.output


def test_lock_list_and_unlock(git_workspace, state):
    from actionplane.state import open_state

    store = open_state(Path(state), git_workspace)
    held = store.acquire_lock("apply", "stuck-runner", "apply plan-x", 600)
    store.close()
    listed = run("lock", "list", "-w", str(git_workspace), "--state", state)
    assert held.id in listed.output
    assert "stuck-runner" in listed.output
    removed = run("unlock", held.id, "-w", str(git_workspace), "--state", state)
    assert removed.exit_code == 0, removed.output
    assert (
        "No locks held."
        in run("lock", "list", "-w", str(git_workspace), "--state", state).output
    )


def promote(root: Path) -> None:
    commit_change(
        root,
        "connectors.yaml",
        "instanceUrl: https://sandbox.zohoapis.com\n    apiVersion: v8\n    isSandbox: true",
        "instanceUrl: https://www.zohoapis.com\n    apiVersion: v8\n    isSandbox: false",
        "Promote to production",
    )


def add_sandbox_evidence(store, object_name: str, *, rollback: bool = True) -> None:
    common = dict(
        connector="zoho-sandbox",
        object=object_name,
        record_id="1",
        actor_id="avery",
        actor_kind="human",
        digest="sha256:x",
        revision_serial=1,
        request={"object": object_name, "changes": {}},
        decision={"route": "allow"},
    )
    store.create_run(status="previewed", dry_run=True, **common)
    live = store.create_run(status="executed", dry_run=False, **common)
    store.add_approval(live.id, "dana.lee", "approve", "ok", "sha256:x")
    if rollback:
        store.create_run(status="rolled_back", dry_run=False, **common)


def test_promotion_needs_sandbox_evidence(git_workspace, state, tmp_path):
    first = tmp_path / "first.json"
    plan(git_workspace, state, "--out", str(first))
    run("apply", str(first), "-w", str(git_workspace), "--state", state)
    promote(git_workspace)
    refused = plan(git_workspace, state)
    assert refused.exit_code == 1
    assert "promotion.missing-sandbox-evidence" in refused.output
    assert (
        "Deals: missing a dry run, an approved live write verified by read-back, a verified rollback"
        in refused.output
    )


def test_promotion_passes_with_full_evidence(git_workspace, state, tmp_path):
    from actionplane.state import open_state

    first = tmp_path / "first.json"
    plan(git_workspace, state, "--out", str(first))
    run("apply", str(first), "-w", str(git_workspace), "--state", state)
    store = open_state(Path(state), git_workspace)
    for name in ("Deals", "Accounts"):
        add_sandbox_evidence(store, name)
    add_sandbox_evidence(store, "Contacts", rollback=False)
    store.close()
    promote(git_workspace)
    partial = plan(git_workspace, state)
    assert partial.exit_code == 1
    assert "Contacts: missing a verified rollback" in partial.output
    assert "Deals: missing" not in partial.output
    store = open_state(Path(state), git_workspace)
    add_sandbox_evidence(store, "Contacts")
    store.close()
    allowed = plan(git_workspace, state)
    assert allowed.exit_code == 0, allowed.output
    assert "promotes the connector from sandbox to production" in allowed.output


def apply_here(root: Path, state: str, *extra: str, input: str | None = None):
    return run("apply", "-w", str(root), "--state", state, *extra, input=input)


def active_serial(root: Path, state: str) -> int | None:
    from actionplane.state import open_state

    store = open_state(Path(state), root)
    try:
        active = store.active_revision()
    finally:
        store.close()
    return active.serial if active else None


def test_apply_without_file_auto_approve(git_workspace, state):
    applied = apply_here(git_workspace, state, "--auto-approve")
    head = git.Repo(git_workspace).head.commit.hexsha[:12]
    assert applied.exit_code == 0, applied.output
    assert "Apply this plan?" not in applied.output
    assert f"revision 1 ({head}) is now active" in applied.output
    assert active_serial(git_workspace, state) == 1
    again = apply_here(git_workspace, state, "--auto-approve")
    assert again.exit_code == 0, again.output
    assert "No changes. The desired configuration is already active." in again.output
    assert active_serial(git_workspace, state) == 1


def test_apply_prompt_yes_applies(git_workspace, state):
    applied = apply_here(git_workspace, state, input="yes\n")
    assert applied.exit_code == 0, applied.output
    assert "Apply this plan? [y/N]" in applied.output
    assert "revision 1" in applied.output
    assert active_serial(git_workspace, state) == 1


def test_apply_prompt_no_exits_1(git_workspace, state):
    cancelled = apply_here(git_workspace, state, input="no\n")
    assert cancelled.exit_code == 1, cancelled.output
    assert "Apply this plan? [y/N]" in cancelled.output
    assert "Apply cancelled." in cancelled.output
    assert "is now active" not in cancelled.output
    assert active_serial(git_workspace, state) is None


def test_apply_prompt_default_is_no(git_workspace, state):
    cancelled = apply_here(git_workspace, state, input="\n")
    assert cancelled.exit_code == 1, cancelled.output
    assert "Apply cancelled." in cancelled.output
    assert active_serial(git_workspace, state) is None


def test_apply_prompt_eof_is_no(git_workspace, state):
    cancelled = apply_here(git_workspace, state, input="")
    assert cancelled.exit_code == 1, cancelled.output
    assert "Apply cancelled." in cancelled.output
    assert "Aborted" not in cancelled.output
    assert active_serial(git_workspace, state) is None


def test_apply_prompt_eof_exit_code(git_workspace, state):
    command = [sys.executable, "-m", "actionplane", "apply"]
    command += ["-w", str(git_workspace), "--state", state]
    completed = subprocess.run(
        command,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "Apply cancelled." in completed.stderr
    assert active_serial(git_workspace, state) is None


def test_apply_prompt_interrupt_exits_130(git_workspace, state, monkeypatch):
    import click.termui

    from actionplane.cli import main

    def interrupt(prompt: str) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(click.termui, "visible_prompt_func", interrupt)
    args = ["apply", "-w", str(git_workspace), "--state", state]
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 130
    assert active_serial(git_workspace, state) is None


def test_plan_ref_uses_committed_files(git_workspace, state, tmp_path):
    repo = git.Repo(git_workspace)
    first = repo.head.commit.hexsha
    commit_change(
        git_workspace,
        "policies/deals.yaml",
        "> 100000.0",
        "> 120000.0",
        "Raise the threshold",
    )
    policy = git_workspace / "policies" / "deals.yaml"
    policy.write_text(policy.read_text().replace("> 120000.0", "> 900000.0"))
    saved = tmp_path / "ref.json"
    result = plan(git_workspace, state, "--ref", first, "--out", str(saved))
    assert result.exit_code == 0, result.output
    assert f"desired: git {first} ({first[:12]})" in result.output
    assert "uncommitted" not in result.output.lower()
    desired = json.loads(saved.read_text())["desired"]
    assert desired["commit"] == first
    assert desired["ref"] == first
    assert desired["dirty_files"] == []
    assert "> 100000.0" in desired["files"]["policies/deals.yaml"]
    applied = run("apply", str(saved), "-w", str(git_workspace), "--state", state)
    assert applied.exit_code == 0, applied.output
    assert f"revision 1 ({first[:12]}) is now active" in applied.output


def test_plan_ref_branch_name(git_workspace, state):
    repo = git.Repo(git_workspace)
    repo.git.checkout("-b", "widen")
    commit_change(
        git_workspace,
        "connectors.yaml",
        "allowedFields: [Title, Phone, Description]",
        "allowedFields: [Title, Phone, Description, Email]",
        "Allow Email",
    )
    widened = repo.head.commit.hexsha
    repo.git.checkout("main")
    result = plan(git_workspace, state, "--ref", "widen", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["desired"]["ref"] == "widen"
    assert data["desired"]["commit"] == widened
    assert "Email" in data["desired"]["files"]["connectors.yaml"]


def test_plan_unknown_ref_fails(git_workspace, state):
    result = plan(git_workspace, state, "--ref", "no-such-branch")
    assert result.exit_code == 1, result.output
    assert "git revision 'no-such-branch' not found" in result.output
