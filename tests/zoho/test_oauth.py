from __future__ import annotations

import json
import os
import re
import stat
import threading
from pathlib import Path

import httpx
import pytest

from actionplane.errors import ZohoError
from actionplane.zoho.client import ZohoClient
from actionplane.zoho.errors import (
    ZohoAuthError,
    ZohoConnectionError,
    ZohoCredentialError,
    ZohoDataCenterError,
    ZohoRateLimitError,
    ZohoRefreshLimitError,
    ZohoRequestError,
)
from actionplane.zoho.oauth import api_base_url, token_lifetime
from actionplane.zoho.tokens import (
    AccessToken,
    FileTokenCache,
    cache_key,
    default_cache_dir,
)

from .zoho_client_testing import (
    CLIENT_ID,
    CLIENT_SECRET,
    DEAL_ID,
    ENV,
    REFRESH_TOKEN,
    FakeZoho,
    deal,
    form_fields,
    json_response,
    make_connector,
    zoho_error,
)

RECORD_PATH = f"/crm/v8/Deals/{DEAL_ID}"


@pytest.fixture
def fake() -> FakeZoho:
    zoho = FakeZoho()
    zoho.default("GET", RECORD_PATH, json_response(200, {"data": [deal()]}))
    return zoho


def test_refresh_sends_form_body_to_token_url(fake: FakeZoho) -> None:
    fake.client().get_record("Deals", DEAL_ID)

    [token_request] = fake.token_requests()
    assert token_request.method == "POST"
    assert str(token_request.url) == "https://accounts.zoho.com/oauth/v2/token"
    assert token_request.url.query == b""
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form_fields(token_request) == {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
    }


def test_crm_call_sends_zoho_oauthtoken_header(fake: FakeZoho) -> None:
    fake.client().get_record("Deals", DEAL_ID)

    [crm_request] = fake.crm_requests()
    assert crm_request.headers["Authorization"] == f"Zoho-oauthtoken {fake.issued[0]}"
    assert str(crm_request.url) == f"https://www.zohoapis.com{RECORD_PATH}"


@pytest.mark.parametrize(
    ("instance_url", "api_domain", "expected"),
    [
        (
            "https://www.zohoapis.com",
            "https://www.zohoapis.com",
            "https://www.zohoapis.com",
        ),
        (
            "https://zohoapis.com",
            "https://www.zohoapis.com",
            "https://www.zohoapis.com",
        ),
        (
            "https://sandbox.zohoapis.eu",
            "https://www.zohoapis.eu",
            "https://sandbox.zohoapis.eu",
        ),
        (
            "https://developer.zohoapis.in/",
            "https://www.zohoapis.in",
            "https://developer.zohoapis.in",
        ),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
    ],
    ids=[
        "production",
        "bare-host",
        "sandbox-keeps-host",
        "developer-keeps-host",
        "loopback",
    ],
)
def test_api_base_url_adopts_api_domain(
    instance_url: str, api_domain: str, expected: str
) -> None:
    connector = make_connector(instance_url=instance_url)

    assert api_base_url(api_domain, connector) == expected


@pytest.mark.parametrize(
    ("login_url", "instance_url", "api_domain", "suggestion"),
    [
        (
            "https://accounts.zoho.com",
            "https://www.zohoapis.com",
            "https://www.zohoapis.eu",
            "loginUrl https://accounts.zoho.eu and instanceUrl https://www.zohoapis.eu",
        ),
        (
            "https://accounts.zoho.com",
            "https://sandbox.zohoapis.com",
            "https://www.zohoapis.ca",
            "loginUrl https://accounts.zohocloud.ca and instanceUrl https://sandbox.zohoapis.ca",
        ),
        (
            "http://127.0.0.1:8080",
            "http://127.0.0.1:8080",
            "http://127.0.0.1:9090",
            "Set instanceUrl to http://127.0.0.1:9090",
        ),
        (
            "https://accounts.zoho.com",
            "https://www.zohoapis.com",
            "https://crm.example.net",
            "https://crm.example.net is not a Zoho API host. Check that loginUrl",
        ),
    ],
    ids=["us-vs-eu", "sandbox-us-vs-ca", "other-loopback-port", "unknown-host"],
)
def test_api_base_url_rejects_other_data_center(
    login_url: str, instance_url: str, api_domain: str, suggestion: str
) -> None:
    connector = make_connector(login_url=login_url, instance_url=instance_url)

    with pytest.raises(ZohoDataCenterError) as raised:
        api_base_url(api_domain, connector)

    message = str(raised.value)
    assert raised.value.configured_host in message
    assert raised.value.api_domain_host in message
    assert suggestion in message


def test_data_center_mismatch_is_not_retried_as_expiry() -> None:
    fake = FakeZoho(api_domain="https://www.zohoapis.eu")

    with pytest.raises(ZohoDataCenterError) as raised:
        fake.client().get_record("Deals", DEAL_ID)

    assert "www.zohoapis.eu" in str(raised.value)
    assert "www.zohoapis.com" in str(raised.value)
    assert len(fake.token_requests()) == 1
    assert fake.crm_requests() == []


@pytest.mark.parametrize(
    ("status", "body", "error_class", "fragments"),
    [
        (
            200,
            {"error": "invalid_code"},
            ZohoAuthError,
            ["ZOHO_REFRESH_TOKEN", "invalid, expired or revoked", "Self Client"],
        ),
        (
            200,
            {"error": "invalid_client"},
            ZohoAuthError,
            ["ZOHO_CLIENT_ID", "https://accounts.zoho.com", "another data center"],
        ),
        (
            200,
            {"error": "invalid_client_secret"},
            ZohoAuthError,
            ["ZOHO_CLIENT_SECRET", "Copy the client secret"],
        ),
        (
            400,
            {
                "error_description": "You have made too many requests continuously. "
                "Please try again after some time.",
                "error": "Access Denied",
                "status": "failure",
            },
            ZohoRefreshLimitError,
            ["Do not retry", "15 to 30 minutes"],
        ),
        (
            400,
            {"error": "拒绝访问", "status": "failure"},
            ZohoRefreshLimitError,
            ["Do not retry"],
        ),
        (200, {"error": "invalid_scope"}, ZohoAuthError, ["invalid_scope", "loginUrl"]),
        (200, {"unexpected": True}, ZohoAuthError, ["without an access token"]),
    ],
    ids=[
        "invalid-code",
        "invalid-client",
        "invalid-client-secret",
        "refresh-limit",
        "refresh-limit-localized",
        "other-error",
        "no-token",
    ],
)
def test_oauth_errors_map_to_actionable_messages(
    status: int,
    body: dict[str, object],
    error_class: type[ZohoError],
    fragments: list[str],
) -> None:
    fake = FakeZoho(token_replies=[json_response(status, body)])

    with pytest.raises(error_class) as raised:
        fake.client().get_record("Deals", DEAL_ID)

    for fragment in fragments:
        assert fragment in str(raised.value)
    assert len(fake.token_requests()) == 1
    assert fake.crm_requests() == []


def test_refresh_limit_is_a_rate_limit_error() -> None:
    assert issubclass(ZohoRefreshLimitError, ZohoRateLimitError)
    assert issubclass(ZohoRefreshLimitError, ZohoAuthError)


@pytest.mark.parametrize(
    ("body", "seconds"),
    [
        ({"expires_in": 3600}, 3600.0),
        ({"expires_in_sec": 3600, "expires_in": 3600000}, 3600.0),
        ({"expires_in_sec": "1800", "expires_in": 1800000}, 1800.0),
        ({}, 3600.0),
        ({"expires_in": "soon"}, 3600.0),
    ],
    ids=["seconds", "legacy-milliseconds", "legacy-string", "missing", "garbage"],
)
def test_token_lifetime(body: dict[str, object], seconds: float) -> None:
    assert token_lifetime(body) == seconds


def test_legacy_expiry_shape_sets_token_lifetime() -> None:
    legacy = {
        "access_token": "1000.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        "api_domain": "https://www.zohoapis.com",
        "expires_in_sec": 3600,
        "expires_in": 3600000,
    }
    fake = FakeZoho(token_replies=[json_response(200, legacy)])
    client = fake.client(clock=lambda: 1000.0)

    token = client.tokens.token()

    assert token.expires_at == 4600.0


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        (
            {"ZOHO_CLIENT_SECRET": CLIENT_SECRET, "ZOHO_REFRESH_TOKEN": REFRESH_TOKEN},
            "ZOHO_CLIENT_ID",
        ),
        ({**ENV, "ZOHO_CLIENT_SECRET": ""}, "ZOHO_CLIENT_SECRET"),
        ({**ENV, "ZOHO_REFRESH_TOKEN": "  "}, "ZOHO_REFRESH_TOKEN"),
    ],
    ids=["client-id-unset", "secret-empty", "refresh-token-blank"],
)
def test_missing_variable_is_named(env: dict[str, str], variable: str) -> None:
    fake = FakeZoho()

    with pytest.raises(ZohoCredentialError) as raised:
        fake.client(env=env).get_record("Deals", DEAL_ID)

    assert variable in str(raised.value)
    assert "zoho-test" in str(raised.value)
    assert fake.requests == []


def test_literal_secret_is_rejected_without_echo() -> None:
    connector = make_connector()
    literal = "literal-secret-value-123456"
    connector = type(connector)(**{**connector.__dict__, "client_secret": literal})
    fake = FakeZoho()

    with pytest.raises(ZohoCredentialError) as raised:
        fake.client(connector=connector).get_record("Deals", DEAL_ID)

    assert "clientSecret" in str(raised.value)
    assert literal not in str(raised.value)
    assert fake.requests == []


@pytest.mark.parametrize(
    ("login_url", "instance_url"),
    [
        ("http://accounts.zoho.com", "https://www.zohoapis.com"),
        ("ftp://accounts.zoho.com", "https://www.zohoapis.com"),
    ],
    ids=["plain-http-login", "other-scheme-login"],
)
def test_insecure_login_url_is_rejected(login_url: str, instance_url: str) -> None:
    fake = FakeZoho()
    connector = make_connector(login_url=login_url, instance_url=instance_url)

    with pytest.raises(ZohoRequestError, match="is not an https URL"):
        fake.client(connector=connector).get_record("Deals", DEAL_ID)

    assert fake.requests == []


def test_plain_http_api_domain_is_rejected() -> None:
    fake = FakeZoho(api_domain="http://www.zohoapis.com")

    with pytest.raises(ZohoRequestError, match="api_domain"):
        fake.client().get_record("Deals", DEAL_ID)

    assert fake.crm_requests() == []


def test_loopback_http_is_allowed() -> None:
    fake = FakeZoho(api_domain="http://127.0.0.1:9000")
    fake.default("GET", RECORD_PATH, json_response(200, {"data": [deal()]}))
    connector = make_connector("http://127.0.0.1:9000", "http://127.0.0.1:9000")

    record = fake.client(connector=connector).get_record("Deals", DEAL_ID)

    assert record["id"] == DEAL_ID


def test_invalid_token_refreshes_once_and_retries(fake: FakeZoho) -> None:
    client = fake.client()
    client.get_record("Deals", DEAL_ID)
    fake.expire_tokens()

    record = client.get_record("Deals", DEAL_ID)

    assert record["id"] == DEAL_ID
    assert len(fake.token_requests()) == 2
    assert len(fake.crm_requests()) == 3


def test_second_invalid_token_raises_auth_error(fake: FakeZoho) -> None:
    fake.on("GET", RECORD_PATH, zoho_error(401, "INVALID_TOKEN", "invalid oauth token"))
    fake.on("GET", RECORD_PATH, zoho_error(401, "INVALID_TOKEN", "invalid oauth token"))

    with pytest.raises(ZohoAuthError) as raised:
        fake.client().get_record("Deals", DEAL_ID)

    assert raised.value.code == "INVALID_TOKEN"
    assert raised.value.http_status == 401
    assert len(fake.token_requests()) == 2
    assert len(fake.crm_requests()) == 2


def test_token_endpoint_5xx_is_retried(fake: FakeZoho) -> None:
    fake.token_replies.append(httpx.Response(503, text="busy"))
    fake.token_replies.append(httpx.ConnectError("refused"))

    assert fake.client().get_record("Deals", DEAL_ID)["id"] == DEAL_ID

    assert len(fake.token_requests()) == 3


def test_unreachable_accounts_server_names_login_url(fake: FakeZoho) -> None:
    fake.token_replies.extend([httpx.ConnectError("refused")] * 3)

    with pytest.raises(
        ZohoConnectionError, match=re.escape("https://accounts.zoho.com")
    ):
        fake.client().get_record("Deals", DEAL_ID)


def test_concurrent_calls_share_one_refresh(fake: FakeZoho) -> None:
    client = fake.client()
    errors: list[BaseException] = []

    def read() -> None:
        try:
            client.get_record("Deals", DEAL_ID)
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=read) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(fake.token_requests()) == 1


# Token cache


def test_cache_dir_precedence(tmp_path: Path) -> None:
    assert (
        default_cache_dir(
            {"ACTIONPLANE_CACHE_DIR": str(tmp_path / "a"), "XDG_CACHE_HOME": "/x"}
        )
        == tmp_path / "a"
    )
    assert (
        default_cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "actionplane"
    )
    assert default_cache_dir({}) == Path.home() / ".cache" / "actionplane"


def test_cache_file_is_owner_only(fake: FakeZoho, tmp_path: Path) -> None:
    directory = tmp_path / "cache" / "actionplane"
    fake.client(FileTokenCache(directory)).get_record("Deals", DEAL_ID)

    cache_file = directory / "zoho-tokens.json"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(cache_file.stat().st_mode) == 0o600


def test_cache_file_holds_no_credentials_in_keys(
    fake: FakeZoho, tmp_path: Path
) -> None:
    cache = FileTokenCache(tmp_path)
    fake.client(cache).get_record("Deals", DEAL_ID)

    content = cache.path.read_text()
    document = json.loads(content)
    assert CLIENT_SECRET not in content
    assert REFRESH_TOKEN not in content
    assert CLIENT_ID not in content
    expected_key = cache_key("https://accounts.zoho.com", CLIENT_ID, REFRESH_TOKEN)
    assert list(document["tokens"]) == [expected_key]
    assert document["tokens"][expected_key]["access_token"] == fake.issued[0]


def test_cache_is_reused_across_clients(fake: FakeZoho, tmp_path: Path) -> None:
    fake.client(FileTokenCache(tmp_path)).get_record("Deals", DEAL_ID)
    fake.client(FileTokenCache(tmp_path)).get_record("Deals", DEAL_ID)

    assert len(fake.token_requests()) == 1
    assert len(fake.crm_requests()) == 2


def test_default_cache_comes_from_environment(fake: FakeZoho, tmp_path: Path) -> None:
    env = {**ENV, "ACTIONPLANE_CACHE_DIR": str(tmp_path / "tokens")}
    client = ZohoClient(make_connector(), env=env, transport=fake.transport())

    client.get_record("Deals", DEAL_ID)

    assert (tmp_path / "tokens" / "zoho-tokens.json").exists()


def test_token_near_expiry_is_refreshed(fake: FakeZoho, tmp_path: Path) -> None:
    now = [1000.0]
    client = fake.client(FileTokenCache(tmp_path), clock=lambda: now[0])
    client.get_record("Deals", DEAL_ID)
    now[0] += 3600 - 30

    client.get_record("Deals", DEAL_ID)

    assert len(fake.token_requests()) == 2


def test_invalidated_token_is_dropped_from_file(fake: FakeZoho, tmp_path: Path) -> None:
    cache = FileTokenCache(tmp_path)
    client = fake.client(cache)
    client.get_record("Deals", DEAL_ID)
    fake.expire_tokens()

    client.get_record("Deals", DEAL_ID)

    key = cache_key("https://accounts.zoho.com", CLIENT_ID, REFRESH_TOKEN)
    cached = cache.get(key)
    assert cached is not None
    assert cached.access_token == fake.issued[1]


def test_corrupt_cache_file_is_ignored(fake: FakeZoho, tmp_path: Path) -> None:
    (tmp_path / "zoho-tokens.json").write_text("{not json")

    fake.client(FileTokenCache(tmp_path)).get_record("Deals", DEAL_ID)

    assert (
        json.loads((tmp_path / "zoho-tokens.json").read_text())["format_version"] == 1
    )


def test_loose_cache_permissions_are_tightened(tmp_path: Path) -> None:
    cache = FileTokenCache(tmp_path)
    cache.put("key", AccessToken("1000.a.b", "https://www.zohoapis.com", 0.0, 4e9))
    os.chmod(cache.path, 0o644)

    assert cache.get("key") is not None

    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600


def test_expired_entries_are_pruned(tmp_path: Path) -> None:
    cache = FileTokenCache(tmp_path)
    cache.put("old", AccessToken("1000.old", "https://www.zohoapis.com", 0.0, 10.0))
    cache.put("new", AccessToken("1000.new", "https://www.zohoapis.com", 100.0, 3700.0))

    assert cache.get("old") is None
    assert cache.get("new") is not None


def test_access_token_repr_hides_token() -> None:
    token = AccessToken("1000.secretvalue", "https://www.zohoapis.com", 0.0, 1.0)

    assert "secretvalue" not in repr(token)
