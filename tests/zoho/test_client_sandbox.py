"""The client against the embedded Zoho sandbox over real HTTP on loopback."""

from __future__ import annotations

import json
import logging
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from actionplane.zoho.client import ZohoClient
from actionplane.zoho.errors import (
    ZohoAuthError,
    ZohoConflictError,
    ZohoDataCenterError,
    ZohoRateLimitError,
    ZohoRefreshLimitError,
    ZohoServerError,
)
from actionplane.zoho.sandbox import SandboxServer, seed
from actionplane.zoho.tokens import FileTokenCache
from actionplane.zoho.transport import RetryPolicy, ZohoExchange
from actionplane.zoho.writes import WriteOutcome

from .zoho_client_testing import make_connector

DEAL_ID = seed.SAMPLE_DEAL_ID
OTHER_DEAL_ID = "3652397000000330002"
TOKEN_PATH = "/oauth/v2/token"
RECORD_PATH = f"/crm/v8/Deals/{DEAL_ID}"


@pytest.fixture(scope="module")
def running_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture
def sandbox(running_sandbox: SandboxServer) -> SandboxServer:
    """The module's sandbox, back in its seeded state with an empty call log."""
    running_sandbox.reset()
    return running_sandbox


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "actionplane"


def make_client(sandbox: SandboxServer, cache_dir: Path, **kwargs: Any) -> ZohoClient:
    kwargs.setdefault("env", dict(seed.ENV_VARS))
    kwargs.setdefault("retry", RetryPolicy(attempts=3, sleep=lambda _: None))
    kwargs.setdefault("token_cache", FileTokenCache(cache_dir))
    connector = make_connector(sandbox.url, sandbox.url, name="zoho-sandbox")
    return ZohoClient(connector, **kwargs)


def calls(sandbox: SandboxServer, path: str | None = None) -> list[tuple[str, Any]]:
    """Return (method, status) of the sandbox's logged calls, optionally for one path."""
    return [
        (call["method"], call["status"])
        for call in sandbox.calls()
        if path is None or call["path"] == path
    ]


def crm_calls(sandbox: SandboxServer) -> list[tuple[str, str, Any]]:
    return [
        (call["method"], call["path"], call["status"])
        for call in sandbox.calls()
        if call["path"].startswith("/crm/")
    ]


@pytest.fixture
def client(sandbox: SandboxServer, cache_dir: Path) -> Iterator[ZohoClient]:
    with make_client(sandbox, cache_dir) as opened:
        yield opened


def test_reads_metadata_and_identity(client: ZohoClient) -> None:
    modules = {module["api_name"]: module for module in client.list_modules()}
    fields = {field["api_name"] for field in client.get_fields("Deals")}

    assert modules["Deals"]["api_supported"] is True
    assert {"Stage", "Amount", "Closing_Date"} <= fields
    assert client.get_current_user()["id"] == seed.CURRENT_USER_ID
    assert client.get_org()["id"] == seed.ORG["id"]


def test_get_record_has_no_dollar_keys(client: ZohoClient) -> None:
    record = client.get_record("Deals", DEAL_ID)

    assert record["Deal_Name"] == seed.SAMPLE_DEAL["Deal_Name"]
    assert [key for key in record if key.startswith("$")] == []


def test_wrong_data_center_names_both_hosts(
    sandbox: SandboxServer, client: ZohoClient
) -> None:
    sandbox.configure(api_domain="https://www.zohoapis.eu")

    with pytest.raises(ZohoDataCenterError) as raised:
        client.get_record("Deals", DEAL_ID)

    message = str(raised.value)
    assert "www.zohoapis.eu" in message
    assert "127.0.0.1" in message
    assert (
        "loginUrl https://accounts.zoho.eu and instanceUrl https://www.zohoapis.eu"
        in message
    )
    assert calls(sandbox) == [("POST", 200)]


def test_revoked_refresh_token_says_how_to_renew(
    sandbox: SandboxServer, client: ZohoClient
) -> None:
    revoked = httpx.post(
        f"{sandbox.url}/oauth/v2/token/revoke", data={"token": seed.REFRESH_TOKEN}
    )
    assert revoked.json() == {"status": "success"}

    with pytest.raises(ZohoAuthError) as raised:
        client.get_record("Deals", DEAL_ID)

    assert raised.value.code == "invalid_code"
    assert raised.value.http_status == 200
    assert "ZOHO_REFRESH_TOKEN" in str(raised.value)
    assert "Generate a new one" in str(raised.value)
    assert calls(sandbox, TOKEN_PATH) == [("POST", 200)]
    assert crm_calls(sandbox) == []


@pytest.mark.parametrize(
    ("variable", "value", "code"),
    [
        ("ZOHO_CLIENT_SECRET", "0" * 42, "invalid_client_secret"),
        ("ZOHO_CLIENT_ID", "1000.UNKNOWNCLIENT", "invalid_client"),
    ],
    ids=["wrong-secret", "unknown-client"],
)
def test_bad_client_credentials(
    sandbox: SandboxServer, cache_dir: Path, variable: str, value: str, code: str
) -> None:
    env = {**seed.ENV_VARS, variable: value}

    with pytest.raises(ZohoAuthError) as raised:
        make_client(sandbox, cache_dir, env=env).get_record("Deals", DEAL_ID)

    assert raised.value.code == code
    assert variable in str(raised.value)
    assert value not in str(raised.value)


def test_token_expiry_mid_session(sandbox: SandboxServer, client: ZohoClient) -> None:
    client.get_record("Deals", DEAL_ID)
    sandbox.expire_tokens()

    record = client.get_record("Deals", DEAL_ID)

    assert record["id"] == DEAL_ID
    assert calls(sandbox, TOKEN_PATH) == [("POST", 200), ("POST", 200)]
    assert calls(sandbox, RECORD_PATH) == [("GET", 200), ("GET", 401), ("GET", 200)]


def test_token_refreshed_before_local_expiry(
    sandbox: SandboxServer, cache_dir: Path
) -> None:
    now = [1_000_000.0]
    client = make_client(sandbox, cache_dir, clock=lambda: now[0])
    client.get_record("Deals", DEAL_ID)
    now[0] += 3600

    client.get_record("Deals", DEAL_ID)

    assert len(calls(sandbox, TOKEN_PATH)) == 2
    assert calls(sandbox, RECORD_PATH) == [("GET", 200), ("GET", 200)]


def test_legacy_token_shape(sandbox: SandboxServer, client: ZohoClient) -> None:
    sandbox.configure(legacy_token_shape=True)

    token = client.tokens.token()

    assert token.expires_at - token.issued_at == 3600
    assert client.get_record("Deals", DEAL_ID)["id"] == DEAL_ID


def test_refresh_limit_is_not_retried(
    sandbox: SandboxServer, client: ZohoClient
) -> None:
    sandbox.configure(refresh_limit=1)
    client.get_record("Deals", DEAL_ID)
    sandbox.expire_tokens()

    with pytest.raises(ZohoRefreshLimitError, match="Do not retry"):
        client.get_record("Deals", DEAL_ID)

    assert calls(sandbox, TOKEN_PATH) == [("POST", 200), ("POST", 400)]


def test_429_recovers_after_backoff(sandbox: SandboxServer, cache_dir: Path) -> None:
    delays: list[float] = []

    def lift_limit(seconds: float) -> None:
        delays.append(seconds)
        sandbox.configure(rate_limit_after=None)

    retry = RetryPolicy(attempts=3, sleep=lift_limit)
    client = make_client(sandbox, cache_dir, retry=retry)
    sandbox.configure(rate_limit_after=0)

    record = client.get_record("Deals", DEAL_ID)

    assert record["id"] == DEAL_ID
    assert calls(sandbox, RECORD_PATH) == [("GET", 429), ("GET", 200)]
    assert len(delays) == 1


def test_429_gives_up_after_attempts(
    sandbox: SandboxServer, client: ZohoClient
) -> None:
    sandbox.configure(rate_limit_after=0)

    with pytest.raises(ZohoRateLimitError, match="TOO_MANY_REQUESTS"):
        client.get_record("Deals", DEAL_ID)

    assert calls(sandbox, RECORD_PATH) == [("GET", 429)] * 3


def test_client_limit_keeps_under_sandbox_concurrency(
    sandbox: SandboxServer, cache_dir: Path
) -> None:
    sandbox.configure(max_concurrency=2, latency_ms=30)
    client = make_client(sandbox, cache_dir, max_concurrency=2)
    client.tokens.token()
    threads = [
        threading.Thread(target=client.get_record, args=("Deals", DEAL_ID))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert calls(sandbox, RECORD_PATH) == [("GET", 200)] * 8


def test_5xx_on_reads_is_retried(sandbox: SandboxServer, client: ZohoClient) -> None:
    sandbox.configure(fail_next_reads=2)

    assert client.get_record("Deals", DEAL_ID)["id"] == DEAL_ID
    assert calls(sandbox, RECORD_PATH) == [("GET", 500), ("GET", 500), ("GET", 200)]


def test_5xx_on_reads_gives_up(sandbox: SandboxServer, client: ZohoClient) -> None:
    sandbox.configure(fail_next_reads=5)

    with pytest.raises(ZohoServerError, match="INTERNAL_ERROR"):
        client.get_fields("Deals")

    assert len(crm_calls(sandbox)) == 3


def test_bulk_update_partial_207(sandbox: SandboxServer, client: ZohoClient) -> None:
    before = sandbox.record("Deals", OTHER_DEAL_ID)
    records = [
        {"id": DEAL_ID, "Stage": "Needs Analysis"},
        {"id": OTHER_DEAL_ID, "Amount": "a lot"},
    ]

    result = client.update_records("Deals", records, trigger=[])

    assert result.http_status == 207
    first, second = result.results
    assert first.outcome is WriteOutcome.LANDED
    assert first.modified_time is not None
    assert second.outcome is WriteOutcome.NOT_LANDED
    assert second.error is not None
    assert second.error.code == "INVALID_DATA"
    assert second.error.details["api_name"] == "Amount"
    assert sandbox.record("Deals", DEAL_ID)["Stage"] == "Needs Analysis"
    assert sandbox.record("Deals", OTHER_DEAL_ID) == before


def test_stale_update_raises_conflict(
    sandbox: SandboxServer, client: ZohoClient
) -> None:
    current = seed.SAMPLE_DEAL["Modified_Time"]

    with pytest.raises(ZohoConflictError) as raised:
        client.update_record(
            "Deals",
            DEAL_ID,
            {"Stage": "Needs Analysis"},
            if_unmodified_since="2025-01-01T00:00:00+05:30",
        )

    assert raised.value.http_status == 412
    assert raised.value.modified_time == current
    assert sandbox.record("Deals", DEAL_ID)["Stage"] == "Qualification"
    assert calls(sandbox, RECORD_PATH) == [("PUT", 412)]


def test_fresh_update_lands(sandbox: SandboxServer, client: ZohoClient) -> None:
    since = client.get_record("Deals", DEAL_ID)["Modified_Time"]

    result = client.update_record(
        "Deals", DEAL_ID, {"Amount": 51000}, if_unmodified_since=since
    )

    assert result.outcome is WriteOutcome.LANDED
    assert result.source == "response"
    assert sandbox.record("Deals", DEAL_ID)["Amount"] == 51000


def test_dropped_connection_after_write_is_read_back(
    sandbox: SandboxServer, client: ZohoClient
) -> None:
    since = client.get_record("Deals", DEAL_ID)["Modified_Time"]
    sandbox.clear_calls()
    sandbox.configure(drop_next_write=True)

    result = client.update_record(
        "Deals", DEAL_ID, {"Stage": "Value Proposition"}, if_unmodified_since=since
    )

    assert result.outcome is WriteOutcome.LANDED
    assert result.source == "read_back"
    assert result.ambiguity is not None
    assert "after the request was sent" in result.ambiguity
    assert calls(sandbox, RECORD_PATH) == [("PUT", None), ("GET", 200)]
    assert sandbox.record("Deals", DEAL_ID)["Stage"] == "Value Proposition"


def test_5xx_on_write_is_read_back_not_resent(
    sandbox: SandboxServer, cache_dir: Path
) -> None:
    def heal(_: float) -> None:
        sandbox.configure(error_rate=0.0)

    client = make_client(sandbox, cache_dir, retry=RetryPolicy(attempts=3, sleep=heal))
    client.tokens.token()
    sandbox.configure(error_rate=1.0)

    result = client.update_record("Deals", DEAL_ID, {"Stage": "Value Proposition"})

    assert result.outcome is WriteOutcome.NOT_LANDED
    assert result.ambiguity == "HTTP 500 from Zoho"
    assert calls(sandbox, RECORD_PATH) == [("PUT", 500), ("GET", 500), ("GET", 200)]


def test_cache_file_is_owner_only(
    sandbox: SandboxServer, client: ZohoClient, cache_dir: Path
) -> None:
    client.get_org()

    cache_file = cache_dir / "zoho-tokens.json"
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(cache_file.stat().st_mode) == 0o600
    assert seed.CLIENT_SECRET not in cache_file.read_text()
    assert seed.REFRESH_TOKEN not in cache_file.read_text()


def test_cache_is_reused_across_clients(sandbox: SandboxServer, tmp_path: Path) -> None:
    env = {**seed.ENV_VARS, "ACTIONPLANE_CACHE_DIR": str(tmp_path / "shared")}
    connector = make_connector(sandbox.url, sandbox.url)

    for _ in range(3):
        with ZohoClient(connector, env=env) as client:
            client.get_org()

    assert calls(sandbox, TOKEN_PATH) == [("POST", 200)]
    assert calls(sandbox, "/crm/v8/org") == [("GET", 200)] * 3
    assert (tmp_path / "shared" / "zoho-tokens.json").exists()


def test_sentinel_secrets_leak_nowhere(
    sandbox: SandboxServer, cache_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A refresh token minted for this test only, so any copy of it is a leak.
    code = sandbox.mint_grant_code()
    grant = httpx.post(
        f"{sandbox.url}/oauth/v2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": seed.CLIENT_ID,
            "client_secret": seed.CLIENT_SECRET,
            "code": code,
        },
    ).json()
    sentinel = grant["refresh_token"]
    env = {**seed.ENV_VARS, "ZOHO_REFRESH_TOKEN": sentinel}
    exchanges: list[ZohoExchange] = []
    caplog.set_level(logging.DEBUG, logger="actionplane")
    client = make_client(sandbox, cache_dir, env=env, recorder=exchanges.append)
    errors: list[str] = []

    client.get_record("Deals", DEAL_ID)
    sandbox.expire_tokens()
    client.update_records("Deals", [{"id": DEAL_ID, "Amount": "bad"}])
    sandbox.configure(drop_next_write=True)
    client.update_record("Deals", DEAL_ID, {"Next_Step": "Call back"})
    with pytest.raises(ZohoConflictError) as conflict:
        client.update_record(
            "Deals", DEAL_ID, {"Stage": "x"}, if_unmodified_since="2020-01-01T00:00Z"
        )
    errors += [str(conflict.value), repr(conflict.value)]
    sandbox.configure(api_domain="https://www.zohoapis.eu")
    sandbox.expire_tokens()
    with pytest.raises(ZohoDataCenterError) as mismatch:
        client.get_org()
    errors += [str(mismatch.value), repr(mismatch.value)]

    cache_text = (cache_dir / "zoho-tokens.json").read_text()
    access_tokens = [
        entry["access_token"] for entry in json.loads(cache_text)["tokens"].values()
    ]
    secrets = [sentinel, seed.CLIENT_SECRET, *access_tokens]
    texts = [record.getMessage() for record in caplog.records] + errors
    texts += [repr(exchange) for exchange in exchanges]
    assert len(exchanges) >= 8
    assert access_tokens
    for secret in secrets:
        assert not [text for text in texts if secret in text]
    assert sentinel not in cache_text
    assert seed.CLIENT_SECRET not in cache_text
