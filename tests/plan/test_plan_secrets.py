"""A literal credential stops `plan`: no plan file, no configuration printed."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path
from typing import Any

import git
import pytest
from tests.plan.helpers import run

SECRET = "s3ntinel5ecret0000111122223333"
REFERENCE = "clientSecret: ${ZOHO_CLIENT_SECRET}"


def write_secret(root: Path, replacement: str = f"clientSecret: {SECRET}") -> int:
    """Replace the clientSecret reference and return its line number."""
    path = root / "connectors.yaml"
    text = path.read_text()
    assert text.count(REFERENCE) == 1
    path.write_text(text.replace(REFERENCE, replacement))
    before = text[: text.index(REFERENCE)]
    return before.count("\n") + 1


def commit_all(root: Path, message: str) -> None:
    repo = git.Repo(root)
    repo.git.add(A=True)
    repo.index.commit(message)


def active_revision(root: Path, state: str):
    from actionplane.state import open_state

    store = open_state(Path(state), root)
    try:
        return store.active_revision()
    finally:
        store.close()


@pytest.mark.parametrize("output_format", ["text", "json", "markdown"])
def test_plan_with_literal_secret_fails(git_workspace, state, tmp_path, output_format):
    line = write_secret(git_workspace)
    saved = tmp_path / "plan.json"
    result = run(
        "plan",
        "-w",
        str(git_workspace),
        "--state",
        state,
        "--out",
        str(saved),
        "--format",
        output_format,
    )
    assert result.exit_code == 1, result.output
    assert not saved.exists()
    assert SECRET not in result.output
    assert f"connectors.yaml:{line} (connectors[0].clientSecret)" in result.output
    assert "no plan was made" in result.output
    assert "${ENV_VAR} reference" in result.output
    assert "allowedFields" not in result.output
    assert "Changes" not in result.output


def test_committed_secret_fails_with_ref(git_workspace, state):
    line = write_secret(git_workspace)
    commit_all(git_workspace, "Write the secret")
    (git_workspace / "connectors.yaml").write_text(
        (git_workspace / "connectors.yaml").read_text().replace(SECRET, "${X}")
    )
    result = run(
        "plan",
        "-w",
        str(git_workspace),
        "--state",
        state,
        "--ref",
        "HEAD",
        "--format",
        "json",
    )
    assert result.exit_code == 1, result.output
    assert SECRET not in result.output
    assert "no plan was made" in result.output
    assert f"connectors.yaml:{line}" in result.output


def test_secret_in_unparsable_yaml_is_found(git_workspace, state, tmp_path):
    line = write_secret(git_workspace, f'clientSecret: "{SECRET}: [')
    saved = tmp_path / "plan.json"
    result = run(
        "plan", "-w", str(git_workspace), "--state", state, "--out", str(saved)
    )
    assert result.exit_code == 1, result.output
    assert not saved.exists()
    assert SECRET not in result.output
    assert f"connectors.yaml:{line}" in result.output


def test_apply_without_file_fails_on_secret(git_workspace, state):
    write_secret(git_workspace)
    commit_all(git_workspace, "Write the secret")
    result = run("apply", "-w", str(git_workspace), "--state", state, "--auto-approve")
    assert result.exit_code == 1, result.output
    assert SECRET not in result.output
    assert "no plan was made" in result.output
    assert active_revision(git_workspace, state) is None


def test_saved_plan_is_owner_only(git_workspace, state, tmp_path):
    saved = tmp_path / "plan.json"
    saved.write_text("{}")
    saved.chmod(0o644)
    leftover = tmp_path / "plan.json.tmp"
    leftover.write_text("{}")
    leftover.chmod(0o644)
    result = run(
        "plan", "-w", str(git_workspace), "--state", state, "--out", str(saved)
    )
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert json.loads(saved.read_text())["format_version"] == "1"
    assert not leftover.exists()


@pytest.mark.parametrize("output_format", ["text", "json", "markdown"])
def test_base_secret_is_not_shown(git_workspace, output_format):
    repo = git.Repo(git_workspace)
    write_secret(git_workspace)
    commit_all(git_workspace, "Write the secret")
    repo.git.checkout("-b", "fix")
    path = git_workspace / "connectors.yaml"
    path.write_text(path.read_text().replace(SECRET, "${ZOHO_CLIENT_SECRET}"))
    commit_all(git_workspace, "Use a reference")
    result = run(
        "plan",
        "-w",
        str(git_workspace),
        "--base",
        "main",
        "--format",
        output_format,
    )
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    assert "zoho-sandbox.clientSecret" in result.output
    assert "literal value, not shown" in result.output


def reseal(data: dict[str, Any]) -> dict[str, Any]:
    """Recompute every digest and the plan id of an edited plan, as anyone can."""
    from actionplane.plan.bundle import ConfigBundle

    data["desired"] = ConfigBundle.from_dict(data["desired"]).to_dict()
    content = {k: v for k, v in data.items() if k not in ("plan_id", "digest")}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    data["digest"] = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    data["plan_id"] = "plan-" + data["digest"].removeprefix("sha256:")[:16]
    return data


def test_apply_rejects_secret_added_to_plan(git_workspace, state, tmp_path):
    policy = git_workspace / "policies" / "deals.yaml"
    policy.write_text(policy.read_text() + "\n")
    saved = tmp_path / "plan.json"
    run("plan", "-w", str(git_workspace), "--state", state, "--out", str(saved))
    data = json.loads(saved.read_text())
    assert data["desired"]["dirty_files"] == ["policies/deals.yaml"]
    data["desired"]["dirty_files"].append("connectors.yaml")
    files = data["desired"]["files"]
    files["connectors.yaml"] = files["connectors.yaml"].replace(
        REFERENCE, f"clientSecret: {SECRET}"
    )
    saved.write_text(json.dumps(reseal(data)))
    # The working tree gets the same edit, so the plan's file matches the disk.
    (git_workspace / "connectors.yaml").write_text(files["connectors.yaml"])
    refused = run(
        "apply",
        str(saved),
        "-w",
        str(git_workspace),
        "--state",
        state,
        "--allow-uncommitted",
    )
    assert refused.exit_code == 1, refused.output
    assert "connector.literal-secret" in refused.output
    assert SECRET not in refused.output
    assert active_revision(git_workspace, state) is None
