"""Plan and apply run the workspace's rule tests as part of their checks."""

from __future__ import annotations

import json
from pathlib import Path

from tests.plan.helpers import commit_change, run

PINNED_TEST = "amount above 100k needs approval"


def plan(root: Path, state: str, *extra: str):
    return run("plan", "-w", str(root), "--state", state, *extra)


def break_pinned_test(root: Path) -> str:
    """Commit a threshold above the pinned test's amount and return its file:line."""
    commit_change(
        root,
        "policies/deals.yaml",
        "> 100000.0",
        "> 250000.0",
        "Raise the threshold",
    )
    lines = (root / "policies" / "deals.yaml").read_text().splitlines()
    number = lines.index(f"  - name: {PINNED_TEST}") + 1
    return f"policies/deals.yaml:{number}"


def active_serial(root: Path, state: str) -> int | None:
    from actionplane.state import open_state

    store = open_state(Path(state), root)
    try:
        active = store.active_revision()
    finally:
        store.close()
    return active.serial if active else None


def test_rule_test_command_agrees(git_workspace):
    place = break_pinned_test(git_workspace)
    result = run("test", "-w", str(git_workspace))
    assert result.exit_code == 1, result.output
    assert f"FAIL {place}: {PINNED_TEST}" in result.output


def test_text_plan_lists_failing_test(git_workspace, state):
    place = break_pinned_test(git_workspace)
    result = plan(git_workspace, state)
    assert result.exit_code == 1, result.output
    assert "Check: no problems found" not in result.output
    assert "Failing rule tests (1):" in result.output
    assert f"  - {place} {PINNED_TEST}" in result.output
    assert "error[test.failed]" in result.output
    assert f"--> {place}:" in result.output
    assert "expected route require_approval, got allow" in result.output


def test_markdown_plan_lists_failing_test(git_workspace, state):
    place = break_pinned_test(git_workspace)
    result = plan(git_workspace, state, "--format", "markdown")
    assert result.exit_code == 1, result.output
    assert "check passed" not in result.output
    assert "❌ check failed" in result.output
    assert "| Failing rule tests (1) |" in result.output
    assert f"`{place}` {PINNED_TEST}" in result.output
    assert "`test.failed`" in result.output


def test_json_plan_has_test_diagnostic(git_workspace, state):
    place = break_pinned_test(git_workspace)
    result = plan(git_workspace, state, "--format", "json")
    assert result.exit_code == 1, result.output
    diagnostics = json.loads(result.output)["diagnostics"]
    [failed] = [d for d in diagnostics if d["code"] == "test.failed"]
    assert failed["severity"] == "error"
    assert failed["extra"] == {"rule_test": PINNED_TEST}
    location = failed["location"]
    assert f"{location['file']}:{location['line']}" == place


def test_apply_rejects_plan_failing_test(git_workspace, state, tmp_path):
    break_pinned_test(git_workspace)
    saved = tmp_path / "plan.json"
    result = plan(git_workspace, state, "--out", str(saved))
    assert result.exit_code == 1, result.output
    assert "apply will refuse it" in result.output
    refused = run("apply", str(saved), "-w", str(git_workspace), "--state", state)
    assert refused.exit_code == 1, refused.output
    assert "1 check error(s)" in refused.output
    assert active_serial(git_workspace, state) is None


def test_apply_without_file_runs_tests(git_workspace, state):
    break_pinned_test(git_workspace)
    refused = run("apply", "-w", str(git_workspace), "--state", state, "--auto-approve")
    assert refused.exit_code == 1, refused.output
    assert "Failing rule tests (1):" in refused.output
    assert active_serial(git_workspace, state) is None


def test_compile_error_skips_rule_tests(git_workspace, state):
    commit_change(
        git_workspace,
        "policies/deals.yaml",
        "request.changes.Amount.after > 100000.0",
        "request.changes.Amount.after >",
        "Break a rule",
    )
    result = plan(git_workspace, state, "--format", "json")
    assert result.exit_code == 1, result.output
    codes = {d["code"] for d in json.loads(result.output)["diagnostics"]}
    assert "test.failed" not in codes
    assert any(code.startswith("rule.") or code.startswith("cel.") for code in codes)
