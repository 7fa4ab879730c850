"""Plans of uncommitted files: plan lists them, apply needs --allow-uncommitted."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import git
from tests.plan.helpers import run


def make_plan(root: Path, state: str, *extra: str):
    return run("plan", "-w", str(root), "--state", state, *extra)


def apply(root: Path, state: str, *extra: str, input: str | None = None):
    return run("apply", "-w", str(root), "--state", state, *extra, input=input)


def raise_threshold(root: Path) -> None:
    path = root / "policies" / "deals.yaml"
    text = path.read_text()
    assert "> 100000.0" in text
    # The rule test pinning 150000.0 to require approval still passes.
    path.write_text(text.replace("> 100000.0", "> 130000.0", 1))


def head(root: Path) -> str:
    return git.Repo(root).head.commit.hexsha


def active_revision(root: Path, state: str):
    from actionplane.state import open_state

    store = open_state(Path(state), root)
    try:
        return store.active_revision()
    finally:
        store.close()


def audit_events(root: Path, state: str) -> list[dict[str, Any]]:
    result = run("audit", "log", "-w", str(root), "--state", state, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["events"]


def reseal(data: dict[str, Any]) -> dict[str, Any]:
    """Recompute every digest and the plan id of an edited plan, as anyone can."""
    from actionplane.plan.bundle import ConfigBundle

    data["desired"] = ConfigBundle.from_dict(data["desired"]).to_dict()
    content = {k: v for k, v in data.items() if k not in ("plan_id", "digest")}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    data["digest"] = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    data["plan_id"] = "plan-" + data["digest"].removeprefix("sha256:")[:16]
    return data


def test_clean_tree_plan_is_not_dirty(git_workspace, state):
    result = make_plan(git_workspace, state, "--format", "json")
    desired = json.loads(result.output)["desired"]
    assert desired["dirty"] is False
    assert desired["dirty_files"] == []
    assert desired["commit"] == head(git_workspace)


def test_plan_lists_uncommitted_files(git_workspace, state, tmp_path):
    raise_threshold(git_workspace)
    (git_workspace / "policies" / "extra.yaml").write_text(
        "version: 1\ndefaultRoute: allow\n"
    )
    saved = tmp_path / "plan.json"
    result = make_plan(git_workspace, state, "--out", str(saved))
    assert result.exit_code == 0, result.output
    listed = "policies/deals.yaml, policies/extra.yaml"
    assert f"with uncommitted changes to {listed}" in result.output
    assert f"Warning: Uncommitted changes to {listed}." in result.output
    assert "rejects this plan unless given --allow-uncommitted" in result.output
    assert f"actionplane apply {saved}" not in result.output
    desired = json.loads(saved.read_text())["desired"]
    assert desired["dirty"] is True
    assert desired["dirty_files"] == ["policies/deals.yaml", "policies/extra.yaml"]


def test_staged_and_deleted_files_are_dirty(git_workspace, state):
    raise_threshold(git_workspace)
    git.Repo(git_workspace).git.add("policies/deals.yaml")
    (git_workspace / "policies" / "contacts.yaml").unlink()
    result = make_plan(git_workspace, state, "--format", "json")
    desired = json.loads(result.output)["desired"]
    assert desired["dirty_files"] == ["policies/contacts.yaml", "policies/deals.yaml"]


def test_untracked_metadata_is_dirty(git_workspace, state):
    from actionplane.metadata.snapshot import load_snapshot

    snapshot = load_snapshot(git_workspace, "zoho-sandbox")
    assert snapshot is not None
    extra = git_workspace / ".actionplane" / "metadata" / "zoho-extra.json"
    extra.write_text(snapshot.to_json())
    result = make_plan(git_workspace, state, "--format", "json")
    desired = json.loads(result.output)["desired"]
    assert desired["dirty_files"] == [".actionplane/metadata/zoho-extra.json"]


def test_apply_rejects_uncommitted_plan(git_workspace, state, tmp_path):
    raise_threshold(git_workspace)
    saved = tmp_path / "plan.json"
    make_plan(git_workspace, state, "--out", str(saved))
    refused = apply(git_workspace, state, str(saved))
    short = head(git_workspace)[:12]
    assert refused.exit_code == 1, refused.output
    assert "not committed to git" in refused.output
    assert "policies/deals.yaml" in refused.output
    assert "Commit them and make a new plan" in refused.output
    assert f"--allow-uncommitted to apply them as revision {short}+dirty" in (
        refused.output
    )
    assert active_revision(git_workspace, state) is None


def test_allowed_uncommitted_plan_is_labelled(git_workspace, state, tmp_path):
    raise_threshold(git_workspace)
    saved = tmp_path / "plan.json"
    make_plan(git_workspace, state, "--out", str(saved))
    applied = apply(git_workspace, state, str(saved), "--allow-uncommitted")
    commit = head(git_workspace)
    assert applied.exit_code == 0, applied.output
    assert f"revision 1 ({commit[:12]}+dirty) is now active" in applied.output
    assert "not committed to git: policies/deals.yaml" in applied.output
    revision = active_revision(git_workspace, state)
    assert revision is not None
    assert revision.git_commit == f"{commit}+dirty"
    event = audit_events(git_workspace, state)[-1]
    assert event["kind"] == "config.applied"
    assert event["payload"]["git_commit"] == f"{commit}+dirty"
    assert event["payload"]["uncommitted_files"] == ["policies/deals.yaml"]
    follow_up = make_plan(git_workspace, state)
    assert f"base:    revision 1 ({commit[:12]}+dirty)" in follow_up.output
    status = run("status", "-w", str(git_workspace), "--state", state)
    assert f"revision 1 active ({commit[:12]}+dirty," in status.output


def test_uncommitted_plan_still_checks_committed_files(git_workspace, state, tmp_path):
    raise_threshold(git_workspace)
    saved = tmp_path / "plan.json"
    make_plan(git_workspace, state, "--out", str(saved))
    data = json.loads(saved.read_text())
    files = data["desired"]["files"]
    widened = files["connectors.yaml"].replace(
        "allowedFields: [Title, Phone, Description]",
        "allowedFields: [Title, Phone, Description, Email]",
    )
    assert widened != files["connectors.yaml"]
    files["connectors.yaml"] = widened
    saved.write_text(json.dumps(reseal(data)))
    refused = apply(git_workspace, state, str(saved), "--allow-uncommitted")
    assert refused.exit_code == 1, refused.output
    assert "differs from git commit" in refused.output
    assert "in: connectors.yaml." in refused.output
    assert active_revision(git_workspace, state) is None


def test_uncommitted_files_are_checked_again(git_workspace, state, tmp_path):
    raise_threshold(git_workspace)
    saved = tmp_path / "plan.json"
    make_plan(git_workspace, state, "--out", str(saved))
    data = json.loads(saved.read_text())
    files = data["desired"]["files"]
    broken = files["policies/deals.yaml"].replace(
        "request.changes.Amount.after > 130000.0",
        "request.changes.No_Such_Field.after > 130000.0",
    )
    assert broken != files["policies/deals.yaml"]
    files["policies/deals.yaml"] = broken
    saved.write_text(json.dumps(reseal(data)))
    # The working tree gets the same edit, so the plan's file matches the disk.
    (git_workspace / "policies" / "deals.yaml").write_text(broken)
    refused = apply(git_workspace, state, str(saved), "--allow-uncommitted")
    assert refused.exit_code == 1, refused.output
    assert "fails" in refused.output
    assert "No_Such_Field" in refused.output
    assert active_revision(git_workspace, state) is None


def test_edited_uncommitted_file_is_rejected(git_workspace, state, tmp_path):
    raise_threshold(git_workspace)
    saved = tmp_path / "plan.json"
    make_plan(git_workspace, state, "--out", str(saved))
    data = json.loads(saved.read_text())
    files = data["desired"]["files"]
    lowered = files["policies/deals.yaml"].replace("> 130000.0", "> 120000.0")
    assert lowered != files["policies/deals.yaml"]
    files["policies/deals.yaml"] = lowered
    saved.write_text(json.dumps(reseal(data)))
    refused = apply(git_workspace, state, str(saved), "--allow-uncommitted")
    assert refused.exit_code == 1, refused.output
    assert (
        "uncommitted files differ from the working tree in: policies/deals.yaml."
        in refused.output
    )
    assert active_revision(git_workspace, state) is None


def test_uncommitted_file_changed_on_disk(git_workspace, state, tmp_path):
    raise_threshold(git_workspace)
    saved = tmp_path / "plan.json"
    make_plan(git_workspace, state, "--out", str(saved))
    policy = git_workspace / "policies" / "deals.yaml"
    policy.write_text(policy.read_text().replace("> 130000.0", "> 120000.0"))
    refused = apply(git_workspace, state, str(saved), "--allow-uncommitted")
    assert refused.exit_code == 1, refused.output
    assert "differ from the working tree in: policies/deals.yaml." in refused.output
    assert active_revision(git_workspace, state) is None


def test_uncommitted_file_deleted_on_disk(git_workspace, state, tmp_path):
    (git_workspace / "policies" / "extra.yaml").write_text(
        "version: 1\ndefaultRoute: allow\nrules: []\n"
    )
    saved = tmp_path / "plan.json"
    make_plan(git_workspace, state, "--out", str(saved))
    assert json.loads(saved.read_text())["desired"]["dirty_files"] == [
        "policies/extra.yaml"
    ]
    (git_workspace / "policies" / "extra.yaml").unlink()
    refused = apply(git_workspace, state, str(saved), "--allow-uncommitted")
    assert refused.exit_code == 1, refused.output
    assert "differ from the working tree in: policies/extra.yaml." in refused.output
    assert active_revision(git_workspace, state) is None


def test_apply_without_file_rejects_dirty_tree(git_workspace, state):
    raise_threshold(git_workspace)
    refused = apply(git_workspace, state, "--auto-approve")
    assert refused.exit_code == 1, refused.output
    assert "not committed to git" in refused.output
    assert active_revision(git_workspace, state) is None
    prompted = apply(git_workspace, state, input="yes\n")
    assert prompted.exit_code == 1, prompted.output
    assert "Apply this plan?" not in prompted.output
    assert active_revision(git_workspace, state) is None


def test_apply_without_file_allows_dirty_tree(git_workspace, state):
    raise_threshold(git_workspace)
    applied = apply(git_workspace, state, "--auto-approve", "--allow-uncommitted")
    assert applied.exit_code == 0, applied.output
    revision = active_revision(git_workspace, state)
    assert revision is not None
    assert revision.git_commit == head(git_workspace) + "+dirty"


def test_workspace_outside_git_needs_flag(synced_workspace, state, tmp_path):
    saved = tmp_path / "plan.json"
    made = make_plan(synced_workspace, state, "--out", str(saved))
    assert made.exit_code == 0, made.output
    assert "desired: working tree (no git commit)" in made.output
    assert "Warning: The workspace has no git commit." in made.output
    refused = apply(synced_workspace, state, str(saved))
    assert refused.exit_code == 1, refused.output
    assert "does not come from a git commit" in refused.output
    applied = apply(synced_workspace, state, str(saved), "--allow-uncommitted")
    assert applied.exit_code == 0, applied.output
    assert "revision 1 (no commit) is now active" in applied.output


def test_plan_outside_git_matches_disk(synced_workspace, state, tmp_path):
    saved = tmp_path / "plan.json"
    result = make_plan(synced_workspace, state, "--out", str(saved))
    assert result.exit_code == 0, result.output
    data = json.loads(saved.read_text())
    files = data["desired"]["files"]
    lowered = files["policies/deals.yaml"].replace("> 100000.0", "> 120000.0")
    assert lowered != files["policies/deals.yaml"]
    files["policies/deals.yaml"] = lowered
    saved.write_text(json.dumps(reseal(data)))
    refused = apply(synced_workspace, state, str(saved), "--allow-uncommitted")
    assert refused.exit_code == 1, refused.output
    assert "differ from the working tree in: policies/deals.yaml." in refused.output
    assert active_revision(synced_workspace, state) is None


def test_plan_from_older_version_is_named(git_workspace, state, tmp_path):
    saved = tmp_path / "plan.json"
    make_plan(git_workspace, state, "--out", str(saved))
    data = json.loads(saved.read_text())
    del data["desired"]["dirty_files"]
    content = {k: v for k, v in data.items() if k not in ("plan_id", "digest")}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    data["digest"] = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    data["plan_id"] = "plan-" + data["digest"].removeprefix("sha256:")[:16]
    saved.write_text(json.dumps(data))
    refused = apply(git_workspace, state, str(saved))
    assert refused.exit_code == 1, refused.output
    assert "made by an older actionplane" in refused.output
    assert active_revision(git_workspace, state) is None
