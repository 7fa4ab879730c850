"""`run submit` rejects control and bidirectional formatting characters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from runs_testing import DEAL_ID, REQUESTER, RunsEnv

from actionplane.state import open_state
from actionplane.zoho.sandbox import seed

SUBMIT = ("run", "submit", "--connector", "zoho-sandbox")


def submit_deal(env: RunsEnv, *args: str) -> tuple[int, str]:
    result = env.cli(
        *SUBMIT, "--object", "Deals", "--record", DEAL_ID, "--actor", REQUESTER, *args
    )
    return result.exit_code, result.stderr


def assert_nothing_happened(env: RunsEnv) -> None:
    with open_state(env.state, env.root) as state:
        assert state.list_runs() == []
    assert env.crm_calls() == []


@pytest.mark.parametrize(
    ("char", "named"),
    [
        ("\u202e", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("\u200f", "U+200F (RIGHT-TO-LEFT MARK)"),
        ("\u2067", "U+2067 (RIGHT-TO-LEFT ISOLATE)"),
        ("\u061c", "U+061C (ARABIC LETTER MARK)"),
        ("\x1b", "U+001B (a control character)"),
        ("\x7f", "U+007F (a control character)"),
        ("\x85", "U+0085 (a control character)"),
        ("\n", "U+000A (a control character)"),
        ("\t", "U+0009 (a control character)"),
    ],
)
def test_control_in_text_field_rejected(
    runs_env: RunsEnv, char: str, named: str
) -> None:
    code, stderr = submit_deal(
        runs_env, "--set", f"Next_Step=Call the buyer{char}etouq", "--reason", "Call"
    )

    assert code == 1
    assert f"the value of Next_Step contains {named}" in stderr
    assert_nothing_happened(runs_env)


def test_nul_in_request_file_rejected(runs_env: RunsEnv, tmp_path: Path) -> None:
    request = {
        "connector": "zoho-sandbox",
        "object": "Deals",
        "recordId": DEAL_ID,
        "changes": {"Next_Step": {"after": "Call\u0000 the buyer"}},
        "actor": {"id": "enrich-bot", "kind": "agent"},
        "reason": "Call notes",
    }
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request))

    result = runs_env.cli("run", "submit", "--file", str(path))

    assert result.exit_code == 1
    assert "the value of Next_Step contains U+0000 (a control character)" in (
        result.stderr
    )
    assert_nothing_happened(runs_env)


def test_multiline_text_keeps_tab_and_newline(runs_env: RunsEnv) -> None:
    description = "Call notes:\n\t- renewal in Q3\n\t- wants a quote"

    code, body = runs_env.json(
        *SUBMIT,
        "--object",
        "Accounts",
        "--record",
        seed.SAMPLE_ACCOUNT_ID,
        "--set",
        f"Description={description}",
        "--actor",
        REQUESTER,
        "--reason",
        "Notes from the call\nwith the buyer",
    )

    assert code == 0, body["message"]
    assert body["run"]["status"] == "executed"
    account = runs_env.sandbox.record("Accounts", seed.SAMPLE_ACCOUNT_ID)
    assert account is not None
    assert account["Description"] == description


def test_bidi_in_multiline_text_rejected(runs_env: RunsEnv) -> None:
    result = runs_env.cli(
        *SUBMIT,
        "--object",
        "Accounts",
        "--record",
        seed.SAMPLE_ACCOUNT_ID,
        "--set",
        "Description=Notes\n\u202eetouq",
        "--actor",
        REQUESTER,
        "--reason",
        "Notes",
    )

    assert result.exit_code == 1
    assert "the value of Description contains U+202E" in result.stderr
    assert "U+000A" not in result.stderr
    assert_nothing_happened(runs_env)


@pytest.mark.parametrize(
    ("option", "value", "label", "exit_code"),
    [
        ("--reason", "Follow-up \u202eetouq", "the reason contains U+202E", 1),
        # Names are checked as options, so these are usage errors.
        ("--actor", "avery\u0000.quinn", "contains U+0000", 2),
        ("--group", "revops\u2066-leads", "contains U+2066", 2),
    ],
)
def test_control_in_request_text_rejected(
    runs_env: RunsEnv, option: str, value: str, label: str, exit_code: int
) -> None:
    code, stderr = submit_deal(
        runs_env,
        "--set",
        "Next_Step=Call the buyer",
        "--reason",
        "Follow-up",
        option,
        value,
    )

    assert code == exit_code
    assert label in stderr
    assert_nothing_happened(runs_env)


@pytest.mark.parametrize("command", ["approve", "reject"])
def test_control_in_approver_reason_rejected(runs_env: RunsEnv, command: str) -> None:
    code, body = runs_env.json("run", "submit", "--preset", "zoho-deal")
    assert code == 10
    run_id = body["run"]["id"]

    result = runs_env.cli(
        "run", command, run_id, "--as", "dana.lee", "--reason", "Fine\u202eenif"
    )

    assert result.exit_code == 1
    assert "the reason contains U+202E" in result.stderr
    with open_state(runs_env.state, runs_env.root) as state:
        assert state.list_approvals(run_id) == []
        assert state.get_run(run_id).status == "pending_approval"
