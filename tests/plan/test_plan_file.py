"""Saving and loading plan files."""

from __future__ import annotations

from tests.plan.helpers import run

from actionplane.diagnostics import warning
from actionplane.plan.model import load_plan


def test_diagnostic_extra_survives_save(git_workspace, state, tmp_path):
    saved = tmp_path / "plan.json"
    result = run(
        "plan", "-w", str(git_workspace), "--state", state, "--out", str(saved)
    )
    assert result.exit_code == 0, result.output
    plan = load_plan(saved)
    plan.diagnostics.append(
        warning(
            "rule.cel-python-divergence",
            "rule 'r' calls lowerAscii()",
            extra={"construct": "strings-extension"},
        )
    )
    plan.save(saved)
    loaded = load_plan(saved)
    assert loaded.diagnostics[-1].extra == {"construct": "strings-extension"}
    assert loaded.plan_id == plan.plan_id
