"""`run submit --reason`: required for live and dry runs, and documented so."""

from __future__ import annotations

from runs_testing import DEAL_ID, REQUESTER, RunsEnv

SUBMIT = ("run", "submit", "--connector", "zoho-sandbox", "--object", "Deals")


def test_dry_run_without_reason_rejected(runs_env: RunsEnv) -> None:
    result = runs_env.cli(
        *SUBMIT,
        "--record",
        DEAL_ID,
        "--actor",
        REQUESTER,
        "--set",
        "Next_Step=Call",
        "--dry-run",
    )

    assert result.exit_code == 1
    assert "--reason is missing" in result.stderr
    assert "dry runs too" in result.stderr
    assert runs_env.crm_calls() == []


def test_help_marks_reason_required(runs_env: RunsEnv) -> None:
    result = runs_env.cli("run", "submit", "--help")

    assert result.exit_code == 0
    help_text = " ".join(result.stdout.split())
    assert "Required for dry runs too, unless --file or --preset gives one" in (
        help_text
    )
    assert "A dry run needs --reason too" in help_text
