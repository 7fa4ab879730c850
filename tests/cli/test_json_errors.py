"""Commands asked for JSON print their errors as JSON on stdout too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from actionplane.cli import cli, main


def test_error_with_format_json_prints_json(tmp_path: Path) -> None:
    state = str(tmp_path / "state.db")
    args = ["run", "submit", "--preset", "zoho-deal", "--dry-run", "--state", state]

    result = CliRunner().invoke(cli, [*args, "--format", "json"])

    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert body["ok"] is False
    assert body["error"]["exit_code"] == 1
    assert "no configuration has been applied" in body["error"]["message"]
    assert "Error: no configuration has been applied" in result.stderr


def test_error_in_text_format_leaves_stdout_empty(tmp_path: Path) -> None:
    state = str(tmp_path / "state.db")
    args = ["run", "submit", "--preset", "zoho-deal", "--dry-run", "--state", state]

    result = CliRunner().invoke(cli, args)

    assert result.exit_code == 1
    assert result.stdout == ""


def test_usage_error_with_format_json_prints_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["run", "list", "--status", "bogus", "--format", "json"])
    captured = capsys.readouterr()

    assert exited.value.code == 2
    body = json.loads(captured.out)
    assert body["error"]["exit_code"] == 2
    assert "'bogus' is not one of" in body["error"]["message"]
    assert "Usage: actionplane run list" in captured.err
