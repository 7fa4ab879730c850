"""No plan is made while connectors.yaml does not read as clean YAML."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.plan.helpers import commit_change, run

SECRET = "s3ntinel5ecret0000111122223333"


@pytest.mark.parametrize(
    "replacement",
    [
        pytest.param(
            "clientSecret: ${ZOHO_CLIENT_SECRET}\n    extra: {clientSecret:\n"
            f"      {SECRET}}}\n    broken: [1, 2",
            id="flow-value-on-next-line",
        ),
        pytest.param(
            f"clientSecret: ${{ZOHO_CLIENT_SECRET}}\n    ? clientSecret\n    : {SECRET}",
            id="duplicate-explicit-key",
        ),
    ],
)
@pytest.mark.parametrize("output_format", ["text", "json"])
def test_plan_refused_for_unreadable_connectors(
    git_workspace: Path,
    state: str,
    tmp_path: Path,
    replacement: str,
    output_format: str,
) -> None:
    commit_change(
        git_workspace,
        "connectors.yaml",
        "clientSecret: ${ZOHO_CLIENT_SECRET}",
        replacement,
        "Break connectors.yaml",
    )
    saved = tmp_path / "plan.json"

    result = run(
        "plan", "-w", str(git_workspace), "--state", state,
        "--out", str(saved), "--format", output_format,
    )  # fmt: skip

    assert result.exit_code == 1, result.output
    assert "does not read as clean YAML" in result.output
    assert SECRET not in result.output
    assert not saved.exists()
