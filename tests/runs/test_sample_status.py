"""`sample reset | status` and `status`: the onboarding path end to end."""

from __future__ import annotations

import re

import git
from click.testing import CliRunner
from runs_testing import RunsEnv, apply_workspace

from actionplane.cli import cli
from actionplane.state import open_state
from actionplane.zoho.sandbox import seed


def test_sample_status_matches_seed(runs_env: RunsEnv) -> None:
    code, body = runs_env.json("sample", "status")

    assert code == 0
    assert body["matches"] is True
    fields = [f["field"] for f in body["fields"]]
    assert fields == ["Stage", "Amount", "Closing_Date", "Next_Step"]


def test_sample_reset_after_write(runs_env: RunsEnv) -> None:
    code, body = runs_env.json("run", "submit", "--preset", "zoho-deal")
    runs_env.cli("run", "approve", body["run"]["id"], "--as", "dana.lee")
    assert runs_env.cli("run", "execute", body["run"]["id"]).exit_code == 0
    runs_env.edit_deal(Description="Scribbled on by a test")

    differs = runs_env.cli("sample", "status")
    assert differs.exit_code == 1
    assert "differs from its seed" in differs.stdout
    assert "Amount" in differs.stdout

    code, reset = runs_env.json("sample", "reset")

    assert code == 0
    assert reset["verified"] is True
    assert set(reset["written"]) == {"Amount", "Next_Step"}
    deal = runs_env.deal()
    for name in ("Amount", "Next_Step", "Stage", "Closing_Date"):
        assert deal[name] == seed.SAMPLE_DEAL[name]
    assert runs_env.cli("sample", "status").exit_code == 0
    with open_state(runs_env.state, runs_env.root) as state:
        audits = state.audit_events(kind="sample.reset")
        steps = [s.step for s in state.onboarding_progress("zoho-sandbox")]
    assert audits[-1].payload["fields"]["Amount"] == {"from": 150000.0, "to": 48000.0}
    assert audits[-1].payload["verified"] is True
    assert "sample_reset" in steps


def test_sample_reset_skips_untracked_fields(runs_env: RunsEnv) -> None:
    runs_env.cli(
        *("run", "submit", "--preset", "zoho-deal", "--set", "Deal_Name=Renamed")
    )
    runs_env.edit_deal(Description="Changed outside any run")

    code, body = runs_env.json("sample", "reset")

    assert code == 0
    assert body["written"] == {}
    fields = [f["field"] for f in body["fields"]]
    assert "Description" not in fields
    assert "Deal_Name" not in fields  # requested by a denied run only


def test_sample_reset_includes_fields_runs_changed(runs_env: RunsEnv) -> None:
    code, body = runs_env.json(
        "run", "submit", "--preset", "zoho-deal", "--set", "Amount=90000"
    )
    assert code == 0, body["message"]
    connectors = runs_env.root / "connectors.yaml"
    connectors.write_text(
        connectors.read_text().replace(
            "allowedFields: [Stage, Amount, Closing_Date, Next_Step]",
            "allowedFields: [Stage, Amount, Closing_Date]",
        )
    )
    repo = git.Repo(runs_env.root)
    repo.git.add(A=True)
    repo.index.commit("Stop writing Next_Step")
    (runs_env.tmp / "second").mkdir()
    apply_workspace(runs_env.root, runs_env.state, runs_env.tmp / "second")

    code, reset = runs_env.json("sample", "reset")

    assert code == 0
    assert reset["written"] == {
        "Amount": 48000.0,
        "Next_Step": "Schedule the discovery call",
    }
    assert runs_env.deal()["Next_Step"] == seed.SAMPLE_DEAL["Next_Step"]


def test_status_checklist_follows_onboarding(runs_env: RunsEnv) -> None:
    code, before = runs_env.json("status")
    assert code == 0
    sandbox = before["connectors"][0]
    done = {item["step"]: item["done"] for item in sandbox["items"]}
    assert done["metadata_synced"] is True
    assert done["applied"] is True
    assert done["dry_run"] is False
    assert sandbox["next_step"] == "actionplane run submit --preset zoho-deal --dry-run"

    runs_env.cli("run", "submit", "--preset", "zoho-deal", "--dry-run")
    code, body = runs_env.json("run", "submit", "--preset", "zoho-deal")
    run_id = body["run"]["id"]
    runs_env.cli("run", "approve", run_id, "--as", "sam.ortiz")
    runs_env.cli("run", "execute", run_id)
    runs_env.cli("run", "rollback", run_id)

    code, after = runs_env.json("status")
    sandbox = after["connectors"][0]
    done = {item["step"]: item["done"] for item in sandbox["items"]}
    assert done["approved_write"] is True
    assert done["rollback"] is True
    assert done["sample_reset"] is False
    assert sandbox["next_step"] == "actionplane sample reset"
    assert [(u["dry_runs"], u["live_runs"]) for u in after["usage"]] == [(1, 1)]

    runs_env.cli("sample", "reset")
    text = runs_env.cli("status")
    assert "Onboarding complete." in text.stdout
    assert re.search(r"\[x\] +sample reset", text.stdout)


def test_status_without_applied_revision(runs_env: RunsEnv) -> None:
    fresh = runs_env.tmp / "fresh.db"

    result = CliRunner().invoke(
        cli, ["status", "-w", str(runs_env.root), "--state", str(fresh)]
    )

    assert result.exit_code == 0
    assert "no revision applied yet" in result.stdout
    assert "Next: actionplane connectors validate zoho-sandbox" in result.stdout
