"""Apply checks a saved plan against git and the checks, not against its own record.

A plan file is plain JSON, and its digests are sha256 sums that anyone who
edits the file can recompute. These tests edit plans that way and expect
apply to reject them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import git
from tests.plan.helpers import commit_change, run


def make_plan(root: Path, state: str, out: Path, *extra: str):
    return run("plan", "-w", str(root), "--state", state, "--out", str(out), *extra)


def apply(root: Path, state: str, saved: Path, *extra: str):
    return run("apply", str(saved), "-w", str(root), "--state", state, *extra)


def sha256(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def reseal(data: dict[str, Any]) -> dict[str, Any]:
    """Recompute every digest and the plan id of an edited plan, as anyone can."""
    from actionplane.plan.bundle import ConfigBundle

    data["desired"] = ConfigBundle.from_dict(data["desired"]).to_dict()
    content = {k: v for k, v in data.items() if k not in ("plan_id", "digest")}
    data["digest"] = sha256(content)
    data["plan_id"] = "plan-" + data["digest"].removeprefix("sha256:")[:16]
    return data


def edit_plan(saved: Path, edit) -> None:
    data = json.loads(saved.read_text())
    edit(data)
    saved.write_text(json.dumps(reseal(data)))


def raise_threshold(data: dict[str, Any]) -> None:
    files = data["desired"]["files"]
    assert "> 100000.0" in files["policies/deals.yaml"]
    files["policies/deals.yaml"] = files["policies/deals.yaml"].replace(
        "> 100000.0", "> 900000.0"
    )


def active_serial(root: Path, state: str) -> int | None:
    from actionplane.state import open_state

    store = open_state(Path(state), root)
    try:
        active = store.active_revision()
    finally:
        store.close()
    return active.serial if active else None


def test_reseal_reproduces_plan_digest(git_workspace, state, tmp_path):
    from actionplane.plan.model import load_plan

    saved = tmp_path / "plan.json"
    make_plan(git_workspace, state, saved)
    original = json.loads(saved.read_text())
    edit_plan(saved, lambda data: None)
    assert json.loads(saved.read_text())["digest"] == original["digest"]
    edit_plan(saved, raise_threshold)
    assert load_plan(saved).plan_id != original["plan_id"]


def test_edited_files_differ_from_commit(git_workspace, state, tmp_path):
    saved = tmp_path / "plan.json"
    made = make_plan(git_workspace, state, saved)
    assert made.exit_code == 0, made.output
    edit_plan(saved, raise_threshold)
    refused = apply(git_workspace, state, saved)
    head = git.Repo(git_workspace).head.commit.hexsha[:12]
    assert refused.exit_code == 1, refused.output
    assert f"differs from git commit {head}" in refused.output
    assert "policies/deals.yaml" in refused.output
    assert active_serial(git_workspace, state) is None


def test_edited_metadata_differs_from_commit(git_workspace, state, tmp_path):
    saved = tmp_path / "plan.json"
    make_plan(git_workspace, state, saved)

    def lengthen_field(data: dict[str, Any]) -> None:
        from actionplane.metadata.snapshot import parse_snapshot

        metadata = data["desired"]["metadata"]
        path = ".actionplane/metadata/zoho-sandbox.json"
        snapshot = parse_snapshot(metadata[path], path)
        snapshot.modules["Deals"]["fields"]["Next_Step"]["length"] = 10_000
        metadata[path] = snapshot.to_json()

    edit_plan(saved, lengthen_field)
    refused = apply(git_workspace, state, saved)
    assert refused.exit_code == 1, refused.output
    assert ".actionplane/metadata/zoho-sandbox.json" in refused.output


def test_edited_plan_id_is_rejected(git_workspace, state, tmp_path):
    saved = tmp_path / "plan.json"
    make_plan(git_workspace, state, saved)
    original = json.loads(saved.read_text())["plan_id"]
    edit_plan(saved, raise_threshold)
    data = json.loads(saved.read_text())
    data["plan_id"] = original
    saved.write_text(json.dumps(data))
    refused = apply(git_workspace, state, saved)
    assert refused.exit_code == 1, refused.output
    assert f"names itself '{original}'" in refused.output


def test_unknown_commit_is_rejected(git_workspace, state, tmp_path):
    saved = tmp_path / "plan.json"
    make_plan(git_workspace, state, saved)
    unknown = "0123456789abcdef" * 2 + "01234567"

    def point_elsewhere(data: dict[str, Any]) -> None:
        data["desired"]["commit"] = unknown

    edit_plan(saved, point_elsewhere)
    refused = apply(git_workspace, state, saved)
    assert refused.exit_code == 1, refused.output
    assert f"git commit {unknown}, which is not in the repository" in refused.output
    assert active_serial(git_workspace, state) is None


def test_branch_name_as_commit_is_rejected(git_workspace, state, tmp_path):
    saved = tmp_path / "plan.json"
    make_plan(git_workspace, state, saved)

    def name_branch(data: dict[str, Any]) -> None:
        data["desired"]["commit"] = "main"

    edit_plan(saved, name_branch)
    refused = apply(git_workspace, state, saved)
    assert refused.exit_code == 1, refused.output
    assert "git commit main, which is not in the repository" in refused.output


def test_plan_of_older_commit_still_applies(git_workspace, state, tmp_path):
    saved = tmp_path / "plan.json"
    make_plan(git_workspace, state, saved)
    commit_change(
        git_workspace,
        "policies/deals.yaml",
        "> 100000.0",
        "> 250000.0",
        "Raise the threshold",
    )
    applied = apply(git_workspace, state, saved)
    assert applied.exit_code == 0, applied.output
    assert "revision 1" in applied.output


def test_cleared_check_errors_are_found_again(git_workspace, state, tmp_path):
    first = tmp_path / "first.json"
    make_plan(git_workspace, state, first)
    assert apply(git_workspace, state, first).exit_code == 0
    commit_change(
        git_workspace,
        "connectors.yaml",
        "instanceUrl: https://sandbox.zohoapis.com\n    apiVersion: v8\n"
        "    isSandbox: true",
        "instanceUrl: https://www.zohoapis.com\n    apiVersion: v8\n"
        "    isSandbox: false",
        "Promote to production",
    )
    saved = tmp_path / "promote.json"
    made = make_plan(git_workspace, state, saved)
    assert made.exit_code == 1, made.output
    assert "promotion.missing-sandbox-evidence" in made.output

    def clear_diagnostics(data: dict[str, Any]) -> None:
        data["diagnostics"] = []

    edit_plan(saved, clear_diagnostics)
    refused = apply(git_workspace, state, saved)
    assert refused.exit_code == 1, refused.output
    assert "fails 1 check(s)" in refused.output
    assert "promotion.missing-sandbox-evidence" in refused.output
    assert active_serial(git_workspace, state) == 1


def test_cleared_test_failure_is_found_again(git_workspace, state, tmp_path):
    commit_change(
        git_workspace,
        "policies/deals.yaml",
        "> 100000.0",
        "> 250000.0",
        "Raise the threshold above a pinned rule test",
    )
    saved = tmp_path / "plan.json"
    result = make_plan(git_workspace, state, saved)
    assert result.exit_code == 1, result.output
    assert "test.failed" in result.output

    def clear_diagnostics(data: dict[str, Any]) -> None:
        data["diagnostics"] = []

    edit_plan(saved, clear_diagnostics)
    refused = apply(git_workspace, state, saved)
    assert refused.exit_code == 1, refused.output
    assert "fails 1 check(s)" in refused.output
    assert "rule test 'amount above 100k needs approval' fails" in refused.output
    assert active_serial(git_workspace, state) is None


def test_apply_outside_git_is_rejected(git_workspace, state, tmp_path):
    import shutil

    saved = tmp_path / "plan.json"
    make_plan(git_workspace, state, saved)
    copy = tmp_path / "copy"
    shutil.copytree(git_workspace, copy, ignore=shutil.ignore_patterns(".git"))
    refused = apply(copy, state, saved)
    assert refused.exit_code == 1, refused.output
    assert "is not inside a git repository" in refused.output
