"""`run submit` rejects malformed and oversized requests before any Zoho call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from runs_testing import DEAL_ID, RunsEnv

from actionplane.state import open_state

MIB = 1024 * 1024
SUBMIT = ("run", "submit", "--connector", "zoho-sandbox", "--object", "Deals")


def request_text(changes: Any, **extra: Any) -> str:
    request = {
        "connector": "zoho-sandbox",
        "object": "Deals",
        "recordId": DEAL_ID,
        "changes": changes,
        "actor": {"id": "enrich-bot", "kind": "agent"},
        "reason": "Amount from the signed quote",
        **extra,
    }
    return json.dumps(request)


def write_request(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "request.json"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def assert_rejected(env: RunsEnv, result: Any, expected: str) -> None:
    assert result.exit_code == 1, result.output
    assert expected in result.stderr
    assert "Traceback" not in result.output
    assert env.crm_calls() == []
    with open_state(env.state, env.root) as state:
        assert state.list_runs() == []


def test_deep_nesting_rejected(runs_env: RunsEnv, tmp_path: Path) -> None:
    depth = 100_000
    nested = "[" * depth + "]" * depth
    text = request_text({"Next_Step": "PLACEHOLDER"}).replace('"PLACEHOLDER"', nested)
    path = write_request(tmp_path, text)

    result = runs_env.cli("run", "submit", "--file", str(path))

    assert_rejected(runs_env, result, "nests arrays or objects more than 32 levels")


def test_brackets_in_strings_not_counted(runs_env: RunsEnv, tmp_path: Path) -> None:
    path = write_request(
        tmp_path, request_text({"Next_Step": "[[[[" * 20}, dryRun=True)
    )

    result = runs_env.cli("run", "submit", "--file", str(path))

    assert "levels deep" not in result.output
    assert result.exit_code == 0, result.output


def test_lone_surrogate_value_rejected(runs_env: RunsEnv, tmp_path: Path) -> None:
    text = request_text({"Next_Step": "call\ud800"})
    assert "\\ud800" in text
    path = write_request(tmp_path, text)

    result = runs_env.cli("run", "submit", "--file", str(path))

    assert_rejected(runs_env, result, "changes.Next_Step in request file")
    assert "lone surrogate \\ud800 at character 5" in result.stderr


def test_lone_surrogate_actor_rejected(runs_env: RunsEnv, tmp_path: Path) -> None:
    text = request_text({"Next_Step": "Call"}, actor={"id": "\udc00bot"})
    path = write_request(tmp_path, text)

    result = runs_env.cli("run", "submit", "--file", str(path))

    assert_rejected(runs_env, result, "actor.id in request file")
    assert "lone surrogate \\udc00 at character 1" in result.stderr


def test_surrogate_pair_accepted(runs_env: RunsEnv, tmp_path: Path) -> None:
    text = request_text({"Next_Step": "Call \U0001f4de"}, dryRun=True)
    assert "\\ud83d\\udcde" in text
    path = write_request(tmp_path, text)

    result = runs_env.cli("run", "submit", "--file", str(path))

    assert result.exit_code == 0, result.output


def test_non_utf8_file_located(runs_env: RunsEnv, tmp_path: Path) -> None:
    text = request_text({"Next_Step": "Caf\u00e9"})
    data = text.replace("\\u00e9", "\u00e9").encode("latin-1")
    offset = data.index(b"\xe9")
    path = write_request(tmp_path, data)

    result = runs_env.cli("run", "submit", "--file", str(path))

    assert_rejected(runs_env, result, f"is not valid UTF-8 (byte {offset}, line 1)")
    assert "integer" not in result.stderr


def test_oversized_file_rejected(runs_env: RunsEnv, tmp_path: Path) -> None:
    padding = " " * MIB
    path = write_request(tmp_path, request_text({"Next_Step": "Call"}) + padding)

    result = runs_env.cli("run", "submit", "--file", str(path))

    assert_rejected(runs_env, result, "is larger than 1,048,576 bytes")


def test_long_reason_file_rejected(runs_env: RunsEnv, tmp_path: Path) -> None:
    text = request_text({"Next_Step": "Call"}, reason="x" * 2_001)
    path = write_request(tmp_path, text)

    result = runs_env.cli("run", "submit", "--file", str(path))

    assert_rejected(runs_env, result, "the reason has 2,001 characters")


def test_long_reason_option_rejected(runs_env: RunsEnv) -> None:
    result = runs_env.cli(
        *SUBMIT,
        "--record",
        DEAL_ID,
        "--actor",
        "enrich-bot",
        "--set",
        "Next_Step=Call",
        "--reason",
        "x" * 2_001,
    )

    assert_rejected(runs_env, result, "more than the maximum of 2,000")


def test_too_many_fields_rejected(runs_env: RunsEnv, tmp_path: Path) -> None:
    changes = {f"Field_{index}": "x" for index in range(101)}
    path = write_request(tmp_path, request_text(changes))

    result = runs_env.cli("run", "submit", "--file", str(path))

    assert_rejected(runs_env, result, "the request changes 101 fields")
    assert "maximum of 100" in result.stderr


def test_value_over_field_length_rejected(runs_env: RunsEnv) -> None:
    result = runs_env.cli(
        *SUBMIT,
        "--record",
        DEAL_ID,
        "--actor",
        "enrich-bot",
        "--reason",
        "Next step from the call notes",
        "--set",
        "Next_Step=" + "x" * 101,
    )

    assert_rejected(runs_env, result, "the value of Next_Step has 101 characters")
    assert "maximum of 100" in result.stderr


def test_value_without_length_capped(runs_env: RunsEnv, tmp_path: Path) -> None:
    text = request_text({"Unknown_Field": ["x" * 32_001]})
    path = write_request(tmp_path, text)

    result = runs_env.cli("run", "submit", "--file", str(path))

    assert_rejected(runs_env, result, "the value of Unknown_Field has 32,001")
    assert "maximum of 32,000" in result.stderr
