from __future__ import annotations

import json
import stat
from pathlib import Path

import httpx
import pytest
from sandbox_testing import bearer, new_access_token, put_deal, refresh_form

from actionplane.zoho.sandbox import SandboxServer, seed
from actionplane.zoho.sandbox.store import SandboxStateError, SandboxStore


def test_state_file_survives_restart(tmp_path: Path):
    state = tmp_path / "sandbox.json"

    with (
        SandboxServer(state_path=state) as first,
        httpx.Client(base_url=first.url) as http,
    ):
        auth = bearer(new_access_token(http))
        assert put_deal(http, auth, {"Stage": "Closed Won"}).status_code == 200
    with SandboxServer(state_path=state) as second:
        record = second.record("Deals", seed.SAMPLE_DEAL_ID)

    assert record is not None
    assert record["Stage"] == "Closed Won"


def test_state_file_is_private_and_holds_no_credentials(tmp_path: Path):
    state = tmp_path / "sandbox.json"

    with (
        SandboxServer(state_path=state) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        token = new_access_token(http)
        code = server.mint_grant_code()

    text = state.read_text()
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    for secret in (
        token,
        code,
        seed.REFRESH_TOKEN,
        seed.GRANT_CODE,
        seed.CLIENT_SECRET,
    ):
        assert secret not in text
    assert json.loads(text)["format_version"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["sandbox.json"]


def test_access_token_survives_restart(tmp_path: Path):
    state = tmp_path / "sandbox.json"
    with (
        SandboxServer(state_path=state) as first,
        httpx.Client(base_url=first.url) as http,
    ):
        token = new_access_token(http)
        port = int(first.url.rsplit(":", 1)[1])

    with (
        SandboxServer(port=port, state_path=state) as second,
        httpx.Client(base_url=second.url) as http,
    ):
        response = http.get(
            f"/crm/v8/Deals/{seed.SAMPLE_DEAL_ID}", headers=bearer(token)
        )

    assert response.status_code == 200


def test_reset_restores_records_and_credentials(
    sandbox: SandboxServer, client: httpx.Client, auth: dict[str, str]
):
    put_deal(client, auth, {"Amount": 1.0})
    client.post("/oauth/v2/token/revoke", data={"token": seed.REFRESH_TOKEN})
    sandbox.configure(latency_ms=1)

    sandbox.reset()

    assert sandbox.calls() == []
    assert client.post("/oauth/v2/token", data=refresh_form()).status_code == 200
    record = sandbox.record("Deals", seed.SAMPLE_DEAL_ID)
    assert record is not None
    assert record["Amount"] == seed.SAMPLE_DEAL["Amount"]
    assert sandbox.options.latency_ms == 0


def test_reset_ends_issued_access_tokens(
    sandbox: SandboxServer, client: httpx.Client, auth: dict[str, str]
):
    sandbox.reset()

    response = client.get(f"/crm/v8/Deals/{seed.SAMPLE_DEAL_ID}", headers=auth)

    assert response.status_code == 401
    assert response.json()["code"] == "INVALID_TOKEN"


def test_running_server_reloads_replaced_file(tmp_path: Path):
    state = tmp_path / "sandbox.json"
    with (
        SandboxServer(state_path=state) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        auth = bearer(new_access_token(http))
        put_deal(http, auth, {"Amount": 2.0})

        SandboxStore(state).reset()
        record = server.record("Deals", seed.SAMPLE_DEAL_ID)

    assert record is not None
    assert record["Amount"] == seed.SAMPLE_DEAL["Amount"]


@pytest.mark.parametrize(
    "content",
    ["{not json", '{"format_version": 99}', "[]"],
    ids=["not-json", "other-version", "not-object"],
)
def test_unreadable_state_file(tmp_path: Path, content: str):
    state = tmp_path / "sandbox.json"
    state.write_text(content)

    with pytest.raises(SandboxStateError) as caught:
        SandboxServer(state_path=state)

    assert str(state) in caught.value.message
    assert "actionplane sandbox reset --state" in caught.value.message
