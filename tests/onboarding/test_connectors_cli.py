from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from actionplane.cli import cli
from actionplane.demo.runner import onboarding_payload
from actionplane.metadata.snapshot import load_snapshot
from actionplane.zoho.sandbox import seed
from tests.conftest import point_at


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def payload(url: str, **overrides) -> dict:
    """The demo's onboarding payload, managing Deals and Contacts only."""
    data = onboarding_payload(url)
    data["managedObjects"] = [
        obj for obj in data["managedObjects"] if obj["objectApiName"] != "Accounts"
    ]
    data.update(overrides)
    return data


@pytest.fixture
def empty_workspace(tmp_path: Path, sandbox_env) -> Path:
    root = tmp_path / "new-workspace"
    root.mkdir()
    return root


def write_payload(root: Path, data: dict) -> Path:
    path = root.parent / "onboarding.json"
    path.write_text(json.dumps(data))
    return path


def connect(root: Path, data: dict, state: str | None = None):
    """Run `connectors connect` on a payload written next to the workspace."""
    args = ["connectors", "connect", str(write_payload(root, data)), "-w", str(root)]
    if state is not None:
        args += ["--state", state]
    return run(*args)


def test_connect_validates_and_syncs_in_one_command(
    empty_workspace, zoho_sandbox, tmp_path
):
    state = str(tmp_path / "state.db")
    result = connect(empty_workspace, payload(zoho_sandbox.url), state)
    assert result.exit_code == 0, result.output
    assert "1. Validated: signed in as" in result.output
    assert "2. Added connector 'zoho-sandbox'" in result.output
    assert "3. Synced 2 module(s)" in result.output
    text = (empty_workspace / "connectors.yaml").read_text()
    assert "${ZOHO_CLIENT_SECRET}" in text
    for secret in (seed.CLIENT_SECRET, seed.REFRESH_TOKEN, seed.CLIENT_ID):
        assert secret not in text
        assert secret not in result.output
    snapshot = load_snapshot(empty_workspace, "zoho-sandbox")
    assert snapshot.field("Deals", "Stage")["dataType"] == "picklist"
    assert "/.actionplane/*" in (empty_workspace / ".gitignore").read_text()
    checked = run("check", "-w", str(empty_workspace))
    assert checked.exit_code == 0, checked.output


def test_connect_updates_existing_connector_keeping_comments(
    synced_workspace, zoho_sandbox, tmp_path, sandbox_env
):
    data = payload(
        zoho_sandbox.url, validateAfterSave=False, syncMetadataAfterSave=False
    )
    result = connect(synced_workspace, data, str(tmp_path / "s.db"))
    assert result.exit_code == 0, result.output
    assert "Updated connector 'zoho-sandbox'" in result.output
    text = (synced_workspace / "connectors.yaml").read_text()
    assert "# Approver groups." in text
    assert text.count("- name: zoho-sandbox") == 1
    assert f"instanceUrl: {zoho_sandbox.url}" in text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param(
            {"isSandbox": "yes"}, "isSandbox must be a boolean", id="string-boolean"
        ),
        pytest.param({"region": "us"}, "unknown key 'region'", id="unknown-key"),
        pytest.param(
            {"clientSecret": 12345}, "clientSecret must be a string", id="secret-type"
        ),
        pytest.param(
            {
                "managedObjects": [
                    {
                        "objectApiName": "Deals",
                        "displayname": "Deals",
                        "allowedFields": ["Stage"],
                    }
                ]
            },
            "managedObjects[0] has the unknown key 'displayname'",
            id="object-unknown-key",
        ),
    ],
)
def test_connect_rejects_bad_payload_without_writing(
    empty_workspace, overrides, message
):
    data = payload("http://127.0.0.1:9", **overrides)
    result = connect(empty_workspace, data)
    assert result.exit_code == 1
    assert message in result.output
    assert "12345" not in result.output
    assert not (empty_workspace / "connectors.yaml").exists()


def test_connect_rejects_wrong_data_center_pairing(empty_workspace):
    data = payload(
        "https://accounts.zoho.eu",
        instanceUrl="https://www.zohoapis.com",
        validateAfterSave=False,
        syncMetadataAfterSave=False,
    )
    result = connect(empty_workspace, data)
    assert result.exit_code == 1
    assert "different Zoho data centers" in result.output
    assert not (empty_workspace / "connectors.yaml").exists()


def test_validate_reports_identity(
    synced_workspace, zoho_sandbox, sandbox_env, tmp_path
):
    point_at(synced_workspace, zoho_sandbox.url)
    result = run(
        "connectors",
        "validate",
        "zoho-sandbox",
        "-w",
        str(synced_workspace),
        "--state",
        str(tmp_path / "s.db"),
    )
    assert result.exit_code == 0, result.output
    assert seed.ORG["company_name"] in result.output
    assert "isSandbox: true matches" in result.output


def test_validate_catches_production_org_marked_sandbox(
    synced_workspace, zoho_sandbox, sandbox_env, tmp_path
):
    point_at(synced_workspace, zoho_sandbox.url)
    path = synced_workspace / "connectors.yaml"
    path.write_text(path.read_text().replace("isSandbox: true", "isSandbox: false"))
    result = run(
        "connectors",
        "validate",
        "zoho-sandbox",
        "-w",
        str(synced_workspace),
        "--state",
        str(tmp_path / "s.db"),
    )
    assert result.exit_code == 1
    assert "not a production org" in result.output


def test_sync_check_reports_drift(
    synced_workspace, zoho_sandbox, sandbox_env, tmp_path
):
    point_at(synced_workspace, zoho_sandbox.url)
    state = str(tmp_path / "s.db")
    first = run(
        "connectors",
        "sync-metadata",
        "zoho-sandbox",
        "-w",
        str(synced_workspace),
        "--state",
        state,
    )
    assert first.exit_code == 0, first.output
    path = synced_workspace / ".actionplane/metadata/zoho-sandbox.json"
    before = path.read_text()
    again = run(
        "connectors",
        "sync-metadata",
        "zoho-sandbox",
        "-w",
        str(synced_workspace),
        "--state",
        state,
    )
    assert "Metadata unchanged" in again.output
    assert path.read_text() == before
    assert (
        run(
            "connectors",
            "sync-metadata",
            "zoho-sandbox",
            "--check",
            "-w",
            str(synced_workspace),
        ).exit_code
        == 0
    )
    snapshot = load_snapshot(synced_workspace, "zoho-sandbox")
    snapshot.modules["Deals"]["fields"]["Next_Step"]["length"] = 5
    from actionplane.metadata.snapshot import write_snapshot

    write_snapshot(synced_workspace, snapshot)
    drift = run(
        "connectors",
        "sync-metadata",
        "zoho-sandbox",
        "--check",
        "-w",
        str(synced_workspace),
    )
    assert drift.exit_code == 1
    assert "field-changed: Deals.Next_Step (length)" in drift.output


def test_unknown_connector_is_named(synced_workspace):
    result = run("connectors", "validate", "zoho-prod", "-w", str(synced_workspace))
    assert result.exit_code == 1
    assert "known connectors: zoho-sandbox" in result.output


def test_state_file_is_owner_only(synced_workspace, zoho_sandbox, sandbox_env):
    point_at(synced_workspace, zoho_sandbox.url)
    run("connectors", "validate", "zoho-sandbox", "-w", str(synced_workspace))
    mode = (synced_workspace / ".actionplane/state.db").stat().st_mode
    assert stat.S_IMODE(mode) & 0o077 == 0


def test_connect_failing_validation_writes_nothing(
    synced_workspace, zoho_sandbox, tmp_path
):
    before = {
        name: (synced_workspace / name).read_bytes()
        for name in ("connectors.yaml", ".actionplane/metadata/zoho-sandbox.json")
    }
    data = payload(zoho_sandbox.url, isSandbox=False)
    result = connect(synced_workspace, data, str(tmp_path / "s.db"))
    assert result.exit_code == 1, result.output
    assert "Nothing was saved" in result.output
    assert "Added connector" not in result.output
    for name, content in before.items():
        assert (synced_workspace / name).read_bytes() == content
    assert not (
        synced_workspace / ".actionplane/metadata/zoho-production.json"
    ).exists()


def test_connect_failing_sync_restores_workspace(
    empty_workspace, zoho_sandbox, tmp_path
):
    zoho_sandbox.configure(fail_next_reads=50)
    data = payload(zoho_sandbox.url, validateAfterSave=False)
    result = connect(empty_workspace, data, str(tmp_path / "s.db"))
    assert result.exit_code == 1, result.output
    assert "Nothing was saved" in result.output
    assert not (empty_workspace / "connectors.yaml").exists()
    assert not (empty_workspace / ".gitignore").exists()
    assert not (empty_workspace / ".actionplane/metadata/zoho-sandbox.json").exists()


def test_connect_warns_about_unknown_allowlisted_field(
    empty_workspace, zoho_sandbox, tmp_path
):
    data = payload(zoho_sandbox.url)
    data["managedObjects"][0]["allowedFields"].append("Next_Stepp")
    result = connect(empty_workspace, data, str(tmp_path / "s.db"))
    assert result.exit_code == 0, result.output
    assert "`actionplane check` will report 1 error(s)" in result.output
    assert "Next_Stepp" in result.output
    assert "Next_Step" in result.output.replace("Next_Stepp", "")
    assert (empty_workspace / "connectors.yaml").exists()


def test_connect_terminated_during_sync_restores_workspace(
    empty_workspace, zoho_sandbox, tmp_path
):
    zoho_sandbox.configure(latency_ms=400)
    payload_path = write_payload(empty_workspace, payload(zoho_sandbox.url))
    env = {
        **os.environ,
        "ACTIONPLANE_CACHE_DIR": str(tmp_path / "cache"),
        "ACTIONPLANE_STATE": str(tmp_path / "s.db"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "actionplane", "connectors", "connect",
         str(payload_path), "-w", str(empty_workspace)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    # Validation takes three calls; the write and the sync come after it.
    deadline = time.monotonic() + 20
    while not (empty_workspace / "connectors.yaml").exists():
        assert time.monotonic() < deadline, "connect never wrote connectors.yaml"
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=20)

    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert "Nothing was saved" in stderr
    assert not (empty_workspace / "connectors.yaml").exists()
    assert not (empty_workspace / ".actionplane/metadata/zoho-sandbox.json").exists()


def test_connect_rejects_duplicate_payload_key(empty_workspace):
    path = empty_workspace.parent / "onboarding.json"
    path.write_text('{"loginUrl": "http://127.0.0.1:9", "loginUrl": "http://x"}')

    result = run("connectors", "connect", str(path), "-w", str(empty_workspace))

    assert result.exit_code == 1
    assert "gives the key 'loginUrl' twice" in result.output
    assert not (empty_workspace / "connectors.yaml").exists()
