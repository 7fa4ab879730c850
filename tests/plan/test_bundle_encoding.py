"""Plan and apply report a workspace file that is not UTF-8 by name."""

from __future__ import annotations

from pathlib import Path

import git
from tests.plan.helpers import run

BAD_BYTES = b"\n# caf\xe9\n"


def break_encoding(root: Path) -> int:
    """Append a Latin-1 byte to policies/deals.yaml; return its byte offset."""
    path = root / "policies" / "deals.yaml"
    data = path.read_bytes()
    path.write_bytes(data + BAD_BYTES)
    return len(data) + BAD_BYTES.index(b"\xe9")


def test_plan_names_non_utf8_worktree_file(git_workspace: Path, state: str):
    offset = break_encoding(git_workspace)

    result = run("plan", "-w", str(git_workspace), "--state", state)

    assert result.exit_code == 1, result.output
    assert "policies/deals.yaml in the working tree" in result.output
    assert f"is not valid UTF-8 (byte {offset})" in result.output


def test_auto_approve_names_non_utf8_file(git_workspace: Path, state: str):
    break_encoding(git_workspace)

    result = run("apply", "--auto-approve", "-w", str(git_workspace), "--state", state)

    assert result.exit_code == 1, result.output
    assert "is not valid UTF-8" in result.output


def test_plan_ref_names_non_utf8_committed_file(git_workspace: Path, state: str):
    path = git_workspace / "policies" / "deals.yaml"
    good = path.read_bytes()
    offset = break_encoding(git_workspace)
    repo = git.Repo(git_workspace)
    repo.git.add(A=True)
    repo.index.commit("Commit a Latin-1 policy")
    path.write_bytes(good)
    sha = repo.head.commit.hexsha

    result = run("plan", "-w", str(git_workspace), "--state", state, "--ref", "HEAD")

    assert result.exit_code == 1, result.output
    assert f"policies/deals.yaml at git commit {sha[:12]}" in result.output
    assert f"is not valid UTF-8 (byte {offset})" in result.output


def test_plan_reads_fixed_worktree_over_bad_commit(git_workspace: Path, state: str):
    path = git_workspace / "policies" / "deals.yaml"
    good = path.read_bytes()
    break_encoding(git_workspace)
    repo = git.Repo(git_workspace)
    repo.git.add(A=True)
    repo.index.commit("Commit a Latin-1 policy")
    path.write_bytes(good)

    result = run("plan", "-w", str(git_workspace), "--state", state)

    assert result.exit_code == 0, result.output
    assert "not valid UTF-8" not in result.output
