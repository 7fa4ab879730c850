"""`run submit --file`: request files are read strictly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from runs_testing import DEAL_ID, RunsEnv

from actionplane.state import open_state
from actionplane.zoho.sandbox import seed


def request_file(tmp_path: Path, changes: dict[str, Any], **extra: Any) -> Path:
    request = {
        "connector": "zoho-sandbox",
        "object": "Deals",
        "recordId": DEAL_ID,
        "changes": changes,
        "actor": {"id": "enrich-bot", "kind": "agent"},
        "reason": "Amount from the signed quote",
        **extra,
    }
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request))
    return path


def stored_runs(env: RunsEnv) -> int:
    with open_state(env.state, env.root) as state:
        return len(state.list_runs())


def test_stale_before_rejected(runs_env: RunsEnv, tmp_path: Path) -> None:
    path = request_file(
        tmp_path,
        {
            "Amount": {"before": 40000, "after": 60000},
            "Next_Step": {"before": "Schedule the discovery call", "after": "Call"},
        },
    )

    result = runs_env.cli("run", "submit", "--file", str(path))

    assert result.exit_code == 1
    assert "changed since the request was written" in result.stderr
    assert "Amount: the request states before 40000, the record has 48000.0" in (
        result.stderr
    )
    assert "Next_Step" not in result.stderr
    assert "Nothing was stored or written" in result.stderr
    assert stored_runs(runs_env) == 0
    assert runs_env.puts() == []
    assert runs_env.deal()["Amount"] == seed.SAMPLE_DEAL["Amount"]


def test_matching_before_accepted(runs_env: RunsEnv, tmp_path: Path) -> None:
    # 48000 (an int) equals the record's 48000.0, as the preview compares them.
    path = request_file(
        tmp_path,
        {
            "Amount": {"before": 48000, "after": 60000},
            "Next_Step": {"before": "Schedule the discovery call", "after": "Call"},
        },
    )

    code, body = runs_env.json("run", "submit", "--file", str(path))

    assert code == 0, body["message"]
    assert body["run"]["status"] == "executed"
    assert runs_env.deal()["Amount"] == 60000.0


def test_before_without_after_rejected(runs_env: RunsEnv, tmp_path: Path) -> None:
    path = request_file(tmp_path, {"Amount": {"before": 48000}})

    result = runs_env.cli("run", "submit", "--file", str(path))

    assert result.exit_code == 1
    assert "changes.Amount in" in result.stderr
    assert "states a before value but no after" in result.stderr
    assert runs_env.crm_calls() == []


def test_duplicate_key_rejected(runs_env: RunsEnv, tmp_path: Path) -> None:
    path = tmp_path / "request.json"
    path.write_text(
        json.dumps({"connector": "zoho-sandbox", "object": "Deals"})[:-1]
        + f', "recordId": "{DEAL_ID}",'
        ' "changes": {"Amount": 500000, "Amount": 5000},'
        ' "actor": {"id": "enrich-bot"}, "reason": "Quote"}'
    )

    result = runs_env.cli("run", "submit", "--file", str(path))

    assert result.exit_code == 1
    assert 'the key "Amount" more than once' in result.stderr
    assert stored_runs(runs_env) == 0
    assert runs_env.crm_calls() == []


def test_string_dry_run_rejected(runs_env: RunsEnv, tmp_path: Path) -> None:
    path = request_file(tmp_path, {"Next_Step": "Call"}, dryRun="false")

    result = runs_env.cli("run", "submit", "--file", str(path))

    assert result.exit_code == 1
    assert "dryRun in" in result.stderr
    assert "must be true or false, not the string 'false'" in result.stderr
    assert stored_runs(runs_env) == 0
    assert runs_env.crm_calls() == []


def test_actor_groups_must_be_a_list(runs_env: RunsEnv, tmp_path: Path) -> None:
    path = request_file(
        tmp_path, {"Next_Step": "Call"}, actor={"id": "bot", "groups": "admins"}
    )

    result = runs_env.cli("run", "submit", "--file", str(path))

    assert result.exit_code == 1
    assert "actor.groups in" in result.stderr
    assert "must be a list of group names" in result.stderr
    assert stored_runs(runs_env) == 0


def test_object_in_wrong_case_rejected(runs_env: RunsEnv, tmp_path: Path) -> None:
    path = request_file(tmp_path, {"Next_Step": "Call"}, object="deals")

    result = runs_env.cli("run", "submit", "--file", str(path))

    assert result.exit_code == 1
    assert "does not manage object 'deals'" in result.stderr
    assert "Did you mean 'Deals'?" in result.stderr
    assert stored_runs(runs_env) == 0
    assert runs_env.crm_calls() == []


def test_unmanaged_object_rejected(runs_env: RunsEnv, tmp_path: Path) -> None:
    path = request_file(tmp_path, {"Last_Name": "Quinn"}, object="Leads")

    result = runs_env.cli("run", "submit", "--file", str(path))

    assert result.exit_code == 1
    assert "does not manage object 'Leads'" in result.stderr
    assert "Managed objects: Deals, Accounts, Contacts." in result.stderr
    assert "Did you mean" not in result.stderr
    assert stored_runs(runs_env) == 0


def test_look_alike_actor_in_file_rejected(runs_env: RunsEnv, tmp_path: Path) -> None:
    path = request_file(
        tmp_path,
        {"Next_Step": {"after": "Call"}},
        actor={"id": "dana.lee ", "kind": "human"},
    )

    result = runs_env.cli("run", "submit", "--file", str(path))

    assert result.exit_code == 1
    assert "the actor id 'dana.lee ' is not a valid name" in result.stderr
    assert stored_runs(runs_env) == 0
