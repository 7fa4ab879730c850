"""Number values of `run submit` against the field's length and decimals.

Deals.Amount in the sandbox's metadata is a currency field with length 16 and
2 decimals.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from runs_testing import DEAL_ID, REQUESTER, RunsEnv

from actionplane.state import open_state

SUBMIT = ("run", "submit", "--connector", "zoho-sandbox", "--object", "Deals")
AMOUNT_RANGE = (
    "Amount (currency) takes numbers with at most 16 digits before the decimal"
    " point and at most 2 decimal places"
)


def submit_amount(env: RunsEnv, text: str) -> tuple[int, str]:
    result = env.cli(
        *SUBMIT,
        "--record",
        DEAL_ID,
        "--actor",
        REQUESTER,
        "--reason",
        "Range check",
        "--dry-run",
        "--set",
        f"Amount={text}",
    )
    return result.exit_code, result.stderr


def stored_runs(env: RunsEnv) -> int:
    with open_state(env.state, env.root) as state:
        return len(state.list_runs())


def write_request(tmp_path: Path, changes_json: str) -> Path:
    """Write a request file whose changes are given as raw JSON text."""
    path = tmp_path / "request.json"
    path.write_text(
        '{"connector": "zoho-sandbox", "object": "Deals",'
        f' "recordId": "{DEAL_ID}", "actor": {{"id": "{REQUESTER}"}},'
        f' "reason": "Range check", "dryRun": true, "changes": {changes_json}}}'
    )
    return path


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param("1e400", "out of range: it has 401 digits", id="infinite"),
        pytest.param("-1e400", "out of range: it has 401 digits", id="neg-infinite"),
        pytest.param("1e308", "out of range: it has 309 digits", id="huge-float"),
        pytest.param(
            "99999999999999999999999", "out of range: it has 23 digits", id="huge-int"
        ),
        pytest.param("150000.123", "has 3 decimal places", id="decimals"),
        pytest.param(
            "1234567890123456.78",
            "would be sent as 1234567890123456.8",
            id="lost-digits",
        ),
        pytest.param("9999999999999999", "would be sent as 1e+16", id="int-rounded"),
    ],
)
def test_out_of_range_amount_rejected(
    runs_env: RunsEnv, text: str, problem: str
) -> None:
    code, stderr = submit_amount(runs_env, text)

    assert code == 1
    assert f"Amount={text} " in stderr
    assert problem in stderr
    assert AMOUNT_RANGE in stderr
    assert runs_env.crm_calls() == []
    assert stored_runs(runs_env) == 0


def test_largest_exact_amount_reaches_rules(runs_env: RunsEnv) -> None:
    # Rules read integers above 2**53 as strings, so this one must become a float.
    code, body = runs_env.json(
        *SUBMIT,
        "--record",
        DEAL_ID,
        "--actor",
        REQUESTER,
        "--reason",
        "Range check",
        "--dry-run",
        "--set",
        "Amount=9999999999999998",
    )

    assert code == 10
    decision = body["decision"]
    assert decision["matched_rules"] == ["large-amount-needs-approval"]
    assert [e for e in decision["trace"] if e["outcome"] == "error"] == []
    assert decision["approvers"] == ["revops-leads"]
    assert body["preview"]["changes"][0]["after"] == 9999999999999998.0


def test_amount_with_two_decimals_accepted(runs_env: RunsEnv) -> None:
    code, stderr = submit_amount(runs_env, "150000.25")

    assert code == 10, stderr


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        pytest.param(
            '{"Amount": Infinity}', "Amount=Infinity is not a finite number", id="inf"
        ),
        pytest.param(
            '{"Amount": {"after": 1e999}}',
            "Amount=1E+999 is out of range: it has 1000 digits",
            id="overflow",
        ),
        pytest.param(
            '{"Amount": 99999999999999999999999}',
            "Amount=99999999999999999999999 is out of range",
            id="huge-int",
        ),
        pytest.param(
            '{"Amount": 1234567890123456.78}',
            "would be sent as 1234567890123456.8",
            id="lost-digits",
        ),
    ],
)
def test_request_file_amount_rejected(
    runs_env: RunsEnv, tmp_path: Path, changes: str, problem: str
) -> None:
    path = write_request(tmp_path, changes)

    result = runs_env.cli("run", "submit", "--file", str(path))

    assert result.exit_code == 1
    assert problem in result.stderr
    assert AMOUNT_RANGE in result.stderr
    assert stored_runs(runs_env) == 0


def test_request_file_nan_outside_allowlist(runs_env: RunsEnv, tmp_path: Path) -> None:
    # A field outside the allowlist is stored in a denied run, so its value
    # must still be valid JSON.
    path = write_request(tmp_path, '{"Deal_Name": NaN}')

    result = runs_env.cli("run", "submit", "--file", str(path))

    assert result.exit_code == 1
    assert "Deal_Name=NaN is infinite or NaN as a double" in result.stderr
    assert stored_runs(runs_env) == 0


def test_request_file_integer_too_long(runs_env: RunsEnv, tmp_path: Path) -> None:
    limit = sys.get_int_max_str_digits()
    if limit == 0:
        pytest.skip("this Python converts integers of any length")
    path = write_request(tmp_path, '{"Amount": ' + "1" * (limit + 1) + "}")

    result = runs_env.cli("run", "submit", "--file", str(path))

    assert result.exit_code == 1
    assert f"has an integer of more than {limit} digits" in result.stderr
