"""Evidence and audit: show, export, list, and tamper detection."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from runs_testing import RunsEnv

from actionplane.zoho.sandbox import seed

TOKEN_SHAPE = re.compile(r"1000\.[0-9a-f]{16,}\.[0-9a-f]{16,}")


def full_run(env: RunsEnv) -> tuple[str, list[str]]:
    """Submit, approve, execute and roll back the sample; return the run and outputs.

    The token cache is emptied first, so the run's own evidence contains the OAuth
    token exchange with its client secret, refresh token and access token.
    """
    shutil.rmtree(env.tmp / "cache", ignore_errors=True)
    outputs = []
    submitted = env.cli("run", "submit", "--preset", "zoho-deal", "--format", "json")
    run_id = env.run_id(submitted)
    outputs.append(submitted.output)
    for args in (
        ("run", "approve", run_id, "--as", "dana.lee", "--reason", "Checked"),
        ("run", "execute", run_id),
        ("run", "rollback", run_id),
        ("run", "show", run_id),
        ("run", "show", run_id, "--format", "json"),
        ("audit", "log", "--subject", f"run/{run_id}"),
        ("audit", "log", "--format", "json"),
    ):
        result = env.cli(*args)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    return run_id, outputs


def issued_tokens(cache: Path) -> set[str]:
    tokens = set()
    for path in cache.rglob("*"):
        if path.is_file():
            tokens.update(TOKEN_SHAPE.findall(path.read_text()))
    return tokens


def test_export_has_no_secret(runs_env: RunsEnv) -> None:
    run_id, outputs = full_run(runs_env)
    out = runs_env.tmp / "export"

    exported = runs_env.cli("run", "export", run_id, "--out", str(out))

    assert exported.exit_code == 0, exported.output
    access_tokens = issued_tokens(runs_env.tmp / "cache")
    assert access_tokens, "the run should have fetched a fresh access token"
    secrets = {seed.CLIENT_SECRET, seed.REFRESH_TOKEN, *access_tokens}
    files = [p for p in out.rglob("*") if p.is_file()]
    texts = {p.name: p.read_text() for p in files}
    texts["outputs"] = "\n".join([*outputs, exported.output])
    for name, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"a secret is in {name}"
    token_files = [p for p in files if "oauth-v2-token" in p.name]
    assert token_files, "the token exchange should be in the evidence"
    exchange = json.loads(token_files[0].read_text())["content"]
    assert exchange["request_body"]["client_secret"] == "[REDACTED]"
    assert exchange["response_body"]["access_token"] == "[REDACTED]"


def test_export_files_and_index(runs_env: RunsEnv) -> None:
    run_id, _ = full_run(runs_env)
    out = runs_env.tmp / "export"

    runs_env.cli("run", "export", run_id, "--out", str(out))

    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    for expected in (
        "README.txt",
        "summary.txt",
        "run.json",
        "request.json",
        "preview.json",
        "decision.json",
        "approvals.json",
        "result.json",
        "audit.json",
    ):
        assert expected in names
    readme = (out / "README.txt").read_text()
    for name in names - {"README.txt"}:
        assert name in readme, f"{name} is not indexed in README.txt"
    assert f"ActionPlane evidence for run {run_id}" in readme
    assert "Status: rolled_back. Decision: require_approval by revision 1" in readme
    evidence = sorted(n for n in names if n.startswith("evidence/"))
    kinds = [json.loads((out / n).read_text())["kind"] for n in evidence]
    for kind in ("request", "record", "preview", "decision", "write", "read_back"):
        assert kind in kinds
    result = json.loads((out / "result.json").read_text())
    assert result["execution"]["verification"]["verified"] is True
    assert result["rollback"]["verification"]["verified"] is True
    approvals = json.loads((out / "approvals.json").read_text())
    assert [(a["approver"], a["standing"]) for a in approvals] == [
        ("dana.lee", "valid")
    ]


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """Set the common umask 022, under which new files are world-readable."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_export_readable_by_owner_only(runs_env: RunsEnv, usual_umask: None) -> None:
    code, body = runs_env.json("run", "submit", "--preset", "zoho-deal", "--dry-run")
    assert code == 10
    out = runs_env.tmp / "exports" / "run"

    result = runs_env.cli("run", "export", body["run"]["id"], "--out", str(out))

    assert result.exit_code == 0, result.output
    folders = [out, *(p for p in out.rglob("*") if p.is_dir())]
    files = [p for p in out.rglob("*") if p.is_file()]
    assert out / "evidence" in folders
    assert len(files) > 5
    for folder in folders:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_export_keeps_given_folder_mode(runs_env: RunsEnv, usual_umask: None) -> None:
    code, body = runs_env.json("run", "submit", "--preset", "zoho-deal", "--dry-run")
    assert code == 10
    out = runs_env.tmp / "shared"
    out.mkdir(mode=0o750)

    result = runs_env.cli("run", "export", body["run"]["id"], "--out", str(out))

    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o750
    assert stat.S_IMODE((out / "README.txt").stat().st_mode) == 0o600


def test_export_refuses_non_empty_folder(runs_env: RunsEnv) -> None:
    code, body = runs_env.json("run", "submit", "--preset", "zoho-deal", "--dry-run")
    assert code == 10
    out = runs_env.tmp / "busy"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")

    result = runs_env.cli("run", "export", body["run"]["id"], "--out", str(out))

    assert result.exit_code == 1
    assert "is not an empty folder" in result.stderr


def test_show_json_has_trace_and_exchanges(runs_env: RunsEnv) -> None:
    run_id, _ = full_run(runs_env)

    code, report = runs_env.json("run", "show", run_id)

    assert code == 0
    assert report["format_version"] == "1"
    assert report["decision"]["matched_rules"] == ["large-amount-needs-approval"]
    statuses = [t["to"] for t in report["transitions"]]
    assert statuses == [
        "previewed",
        "pending_approval",
        "approved",
        "executing",
        "executed",
        "rolling_back",
        "rolled_back",
    ]
    exchanges = [e for e in report["evidence"] if e["kind"] == "zoho_exchange"]
    puts = [e["content"] for e in exchanges if e["content"]["method"] == "PUT"]
    guards = [p["request_headers"]["if-unmodified-since"] for p in puts]
    assert guards[0] == seed.SAMPLE_DEAL["Modified_Time"]
    assert guards[1] == report["result"]["execution"]["modified_time"]
    assert all(p["request_headers"]["authorization"] != "" for p in puts)
    assert all("[REDACTED]" in p["request_headers"]["authorization"] for p in puts)
    kinds = [e["kind"] for e in report["audit"]]
    assert kinds[0] == "run.submitted"
    assert "run.approved" in kinds
    assert kinds[-1] == "run.rolled_back"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        pytest.param((), 2, id="all"),
        pytest.param(("--status", "previewed"), 1, id="by-status"),
        pytest.param(("--actor", "avery.quinn"), 2, id="by-actor"),
        pytest.param(("--actor", "nobody"), 0, id="no-match"),
        pytest.param(
            ("--object", "Deals", "--connector", "zoho-sandbox"), 2, id="by-target"
        ),
    ],
)
def test_list_filters(
    runs_env: RunsEnv, options: tuple[str, ...], expected: int
) -> None:
    runs_env.cli("run", "submit", "--preset", "zoho-deal", "--dry-run")
    runs_env.cli("run", "submit", "--preset", "zoho-deal")

    code, body = runs_env.json("run", "list", *options)

    assert code == 0
    assert len(body["runs"]) == expected


@contextmanager
def open_for_tampering(path: Path) -> Iterator[sqlite3.Connection]:
    """Open the state as someone bypassing actionplane would: without its triggers."""
    db = sqlite3.connect(path)
    try:
        db.execute("DROP TRIGGER audit_events_no_update")
        db.execute("DROP TRIGGER audit_events_no_delete")
        yield db
        db.commit()
    finally:
        db.close()


def test_audit_verify_detects_edit(runs_env: RunsEnv) -> None:
    submitted = runs_env.cli("run", "submit", "--preset", "zoho-deal")
    assert submitted.exit_code == 10
    intact = runs_env.cli("audit", "verify")
    assert intact.exit_code == 0
    assert "Audit trail intact" in intact.stdout
    with open_for_tampering(runs_env.state) as db:
        seq = db.execute(
            "SELECT seq FROM audit_events WHERE kind = 'run.submitted'"
        ).fetchone()[0]
        db.execute(
            "UPDATE audit_events SET actor = 'someone-else' WHERE seq = ?", (seq,)
        )

    broken = runs_env.cli("audit", "verify")

    assert broken.exit_code == 1
    assert f"entry #{seq}: hash does not match" in broken.stdout


def test_audit_verify_detects_deleted_entry(runs_env: RunsEnv) -> None:
    runs_env.cli("run", "submit", "--preset", "zoho-deal", "--dry-run")
    runs_env.cli("run", "submit", "--preset", "zoho-deal", "--dry-run")
    with open_for_tampering(runs_env.state) as db:
        last = db.execute("SELECT max(seq) FROM audit_events").fetchone()[0]
        db.execute("DELETE FROM audit_events WHERE seq = ?", (last - 1,))

    code, body = runs_env.json("audit", "verify")

    assert code == 1
    assert body["ok"] is False
    assert {p["seq"] for p in body["problems"]} == {last}


def test_audit_log_filters(runs_env: RunsEnv) -> None:
    code, body = runs_env.json("run", "submit", "--preset", "zoho-deal", "--dry-run")
    run_id = body["run"]["id"]

    code, log = runs_env.json("audit", "log", "--kind", "run.submitted", "--limit", "1")

    assert code == 0
    assert [(e["kind"], e["subject"]) for e in log["events"]] == [
        ("run.submitted", f"run/{run_id}")
    ]
