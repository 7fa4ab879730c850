"""`audit verify` and runs detect a revision snapshot edited in the state file."""

from __future__ import annotations

import json

from runs_testing import RunsEnv
from test_audit_crosscheck import edit_state, pending_run

from actionplane.plan.bundle import ConfigBundle


def raise_threshold(env: RunsEnv, *, update_digest: bool = False) -> None:
    """Raise the Deals approval threshold inside revision 1's snapshot."""
    with edit_state(env.state) as db:
        db.execute("DROP TRIGGER revisions_no_update")
        db.execute(
            "UPDATE revisions SET config_snapshot = replace(config_snapshot,"
            " '> 100000.0', '> 900000.0') WHERE serial = 1"
        )
        if update_digest:
            text = db.execute(
                "SELECT config_snapshot FROM revisions WHERE serial = 1"
            ).fetchone()[0]
            digest = ConfigBundle.from_dict(json.loads(text)).config_digest
            db.execute(
                "UPDATE revisions SET config_digest = ? WHERE serial = 1", (digest,)
            )


def test_snapshot_edit_detected(runs_env: RunsEnv) -> None:
    raise_threshold(runs_env)

    code, body = runs_env.json("audit", "verify")

    assert code == 1
    assert body["ok"] is False
    [found] = body["revision_disagreements"]
    assert found["serial"] == 1
    assert found["field"] == "config_digest"
    assert found["seq"] is None


def test_snapshot_edit_named_in_text(runs_env: RunsEnv) -> None:
    raise_threshold(runs_env)

    result = runs_env.cli("audit", "verify")

    assert result.exit_code == 1
    assert "revision 1: its config_snapshot hashes to" in result.stdout
    assert "but config_digest in the revisions table is" in result.stdout
    assert "Head hash" not in result.stdout


def test_rehashed_snapshot_edit_detected(runs_env: RunsEnv) -> None:
    raise_threshold(runs_env, update_digest=True)

    code, body = runs_env.json("audit", "verify")

    assert code == 1
    [found] = body["revision_disagreements"]
    assert found["serial"] == 1
    assert found["field"] == "config_digest"
    assert isinstance(found["seq"], int)
    assert "the audit trail records" in found["message"]


def test_submit_after_snapshot_edit_rejected(runs_env: RunsEnv) -> None:
    raise_threshold(runs_env)

    result = runs_env.cli("run", "submit", "--preset", "zoho-deal")

    assert result.exit_code != 0
    assert "applied revision 1 does not match its config_digest" in result.output
    assert runs_env.puts() == []


def test_approve_after_snapshot_edit_rejected(runs_env: RunsEnv) -> None:
    run_id = pending_run(runs_env)
    raise_threshold(runs_env)

    result = runs_env.cli("run", "approve", run_id, "--as", "dana.lee")

    assert result.exit_code != 0
    assert "applied revision 1 does not match its config_digest" in result.output


def test_intact_revisions_counted(runs_env: RunsEnv) -> None:
    code, body = runs_env.json("audit", "verify")

    assert code == 0
    assert body["revisions_checked"] == 1
    assert body["revision_disagreements"] == []
