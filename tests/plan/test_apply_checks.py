"""Apply rejects commits outside HEAD's history and non-finite lock timeouts."""

from __future__ import annotations

from pathlib import Path

import git
import pytest
from tests.plan.helpers import run


def add_comment(root: Path) -> None:
    """Commit a comment line at the end of policies/deals.yaml."""
    path = root / "policies" / "deals.yaml"
    path.write_text(path.read_text() + "# Reviewed by revops.\n")
    repo = git.Repo(root)
    repo.git.add(A=True)
    repo.index.commit("Note the policy review")


def test_apply_rejects_unmerged_commit(git_workspace: Path, state: str, tmp_path):
    add_comment(git_workspace)
    repo = git.Repo(git_workspace)
    dropped = repo.head.commit.hexsha
    repo.git.reset("--hard", "HEAD~1")
    saved = tmp_path / "plan.json"
    planned = run(
        "plan",
        "-w",
        str(git_workspace),
        "--state",
        state,
        "--ref",
        dropped,
        "--out",
        str(saved),
    )
    assert planned.exit_code in (0, 2), planned.output

    result = run("apply", str(saved), "-w", str(git_workspace), "--state", state)

    assert result.exit_code == 1, result.output
    assert f"git commit {dropped[:12]}" in result.output
    assert "not HEAD or an ancestor of HEAD" in result.output
    assert "Merge the commit first" in result.output


def test_apply_accepts_ancestor_commit(git_workspace: Path, state: str, tmp_path):
    first = git.Repo(git_workspace).head.commit.hexsha
    add_comment(git_workspace)
    saved = tmp_path / "plan.json"
    planned = run(
        "plan",
        "-w",
        str(git_workspace),
        "--state",
        state,
        "--ref",
        first,
        "--out",
        str(saved),
    )
    assert planned.exit_code in (0, 2), planned.output

    result = run("apply", str(saved), "-w", str(git_workspace), "--state", state)

    assert result.exit_code == 0, result.output
    assert "is now active" in result.output


@pytest.mark.parametrize("timeout", ["nan", "inf", "-1"])
def test_lock_timeout_rejects_value(git_workspace: Path, state: str, timeout: str):
    result = run(
        "apply",
        "--auto-approve",
        "-w",
        str(git_workspace),
        "--state",
        state,
        "--lock-timeout",
        timeout,
    )

    assert result.exit_code == 2, result.output
    assert "--lock-timeout" in result.output
