"""`run submit` names who may approve a waiting run, and warns when nobody can."""

from __future__ import annotations

from pathlib import Path

import git
from runs_testing import RunsEnv, apply_workspace


def reapply(env: RunsEnv, path: Path, old: str, new: str, message: str) -> None:
    """Edit one workspace file, commit it and apply it as the next revision."""
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    repo = git.Repo(env.root)
    repo.git.add(A=True)
    repo.index.commit(message)
    folder = env.tmp / f"apply-{len(list(repo.iter_commits()))}"
    folder.mkdir()
    apply_workspace(env.root, env.state, folder)


def leave_requester_alone(env: RunsEnv, requester: str) -> None:
    reapply(
        env,
        env.root / "connectors.yaml",
        "revops-leads: [dana.lee, sam.ortiz]",
        f"revops-leads: [{requester}]",
        "Make the requester the only RevOps lead",
    )


def require_two_approvals(env: RunsEnv) -> None:
    reapply(
        env,
        env.root / "policies" / "deals.yaml",
        "    approvers: [revops-leads]\n    message: Amounts above",
        "    approvers: [revops-leads]\n    requiredApprovals: 2\n"
        "    message: Amounts above",
        "Require two approvals for large amounts",
    )


def test_pending_run_names_approvers(runs_env: RunsEnv) -> None:
    result = runs_env.cli("run", "submit", "--preset", "zoho-deal")

    assert result.exit_code == 10
    assert "  approver group revops-leads: dana.lee, sam.ortiz" in result.stdout
    assert "  USER is one of: dana.lee, sam.ortiz" in result.stdout
    lines = result.stdout.splitlines()
    [next_step] = [line for line in lines if line.startswith("Next: ")]
    assert next_step.startswith("Next: actionplane run approve run_")
    assert next_step.endswith(" --as USER")
    assert "Warning" not in result.stderr


def test_single_other_member_named(runs_env: RunsEnv) -> None:
    code, body = runs_env.json(
        "run", "submit", "--preset", "zoho-deal", "--actor", "dana.lee"
    )

    assert code == 10
    run_id = body["run"]["id"]
    assert body["next_steps"] == [f"actionplane run approve {run_id} --as sam.ortiz"]
    assert (
        "dana.lee requested the run, so their approval does not count"
        in (body["details"])
    )
    assert body["warnings"] == []


def test_requester_only_member_warned(runs_env: RunsEnv) -> None:
    leave_requester_alone(runs_env, "dana.lee")

    result = runs_env.cli(
        "run", "submit", "--preset", "zoho-deal", "--actor", "dana.lee"
    )

    assert result.exit_code == 10
    assert "Warning: nobody can approve run run_" in result.stderr
    assert "revops-leads has no member other than the requester dana.lee" in (
        result.stderr
    )
    assert "run approve" not in result.stdout
    assert "--as dana.lee --reason" in result.stdout


def test_requester_only_member_dry_run(runs_env: RunsEnv) -> None:
    leave_requester_alone(runs_env, "dana.lee")

    code, body = runs_env.json(
        "run", "submit", "--preset", "zoho-deal", "--actor", "dana.lee", "--dry-run"
    )

    assert code == 10
    [warning] = body["warnings"]
    assert warning.startswith("nobody can approve run ")
    assert body["next_steps"] == []


def test_too_few_approvers_warned(runs_env: RunsEnv) -> None:
    require_two_approvals(runs_env)

    code, body = runs_env.json(
        "run", "submit", "--preset", "zoho-deal", "--actor", "dana.lee"
    )

    assert code == 10
    [warning] = body["warnings"]
    assert "can never be approved: it needs 2 approvals" in warning
    assert "but only sam.ortiz can approve it" in warning
