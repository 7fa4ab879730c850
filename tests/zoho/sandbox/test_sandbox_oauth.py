from __future__ import annotations

import re
import time

import httpx
import pytest
from sandbox_testing import TOKEN_PATTERN, bearer, new_access_token, refresh_form

from actionplane.zoho.sandbox import SandboxOptions, SandboxServer, seed

DEAL_PATH = f"/crm/v8/Deals/{seed.SAMPLE_DEAL_ID}"
FIELDS_PATH = "/crm/v8/settings/fields?module=Deals"


def code_form(code: str, **overrides: str) -> dict[str, str]:
    form = {
        "grant_type": "authorization_code",
        "client_id": seed.CLIENT_ID,
        "client_secret": seed.CLIENT_SECRET,
        "code": code,
    }
    form.update(overrides)
    return form


def test_refresh_returns_zoho_token_shape(sandbox: SandboxServer, client: httpx.Client):
    response = client.post("/oauth/v2/token", data=refresh_form())

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "access_token",
        "scope",
        "api_domain",
        "token_type",
        "expires_in",
    }
    assert re.fullmatch(TOKEN_PATTERN, body["access_token"])
    assert body["api_domain"] == sandbox.url
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == seed.SCOPE


def test_refresh_accepts_query_string(client: httpx.Client):
    response = client.post("/oauth/v2/token", params=refresh_form())

    assert response.status_code == 200
    assert "access_token" in response.json()


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"client_id": "1000.UNKNOWNCLIENT000000000000000000"}, "invalid_client"),
        ({"client_id": ""}, "invalid_client"),
        ({"client_secret": "0" * 42}, "invalid_client_secret"),
        ({"refresh_token": "1000." + "a" * 32 + "." + "b" * 32}, "invalid_code"),
        ({"refresh_token": ""}, "invalid_code"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
    ],
    ids=[
        "unknown-client",
        "missing-client",
        "wrong-secret",
        "unknown-refresh-token",
        "missing-refresh-token",
        "unsupported-grant",
    ],
)
def test_refresh_errors_arrive_with_http_200(
    client: httpx.Client, overrides: dict[str, str], error: str
):
    response = client.post("/oauth/v2/token", data=refresh_form(**overrides))

    assert response.status_code == 200
    assert response.json() == {"error": error}


def test_seeded_grant_code_works_once(client: httpx.Client):
    first = client.post("/oauth/v2/token", data=code_form(seed.GRANT_CODE))
    second = client.post("/oauth/v2/token", data=code_form(seed.GRANT_CODE))

    body = first.json()
    assert first.status_code == 200
    assert re.fullmatch(TOKEN_PATTERN, body["refresh_token"])
    assert re.fullmatch(TOKEN_PATTERN, body["access_token"])
    assert second.json() == {"error": "invalid_code"}
    new_token = new_access_token(client, refresh_token=body["refresh_token"])
    assert client.get(DEAL_PATH, headers=bearer(new_token)).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"client_id": "1000.OTHER"}, "invalid_client"),
        ({"client_secret": "wrong"}, "invalid_client_secret"),
        ({"code": "1000." + "c" * 32 + "." + "d" * 32}, "invalid_code"),
    ],
    ids=["unknown-client", "wrong-secret", "unknown-code"],
)
def test_code_exchange_errors(
    client: httpx.Client, overrides: dict[str, str], error: str
):
    form = code_form(seed.GRANT_CODE) | overrides
    response = client.post("/oauth/v2/token", data=form)

    assert response.status_code == 200
    assert response.json() == {"error": error}


def test_minted_code_checks_redirect_uri(sandbox: SandboxServer, client: httpx.Client):
    code = sandbox.mint_grant_code(redirect_uri="http://127.0.0.1/callback")

    wrong = client.post(
        "/oauth/v2/token", data=code_form(code, redirect_uri="http://127.0.0.1/other")
    )
    right = client.post(
        "/oauth/v2/token",
        data=code_form(code, redirect_uri="http://127.0.0.1/callback"),
    )

    assert wrong.json() == {"error": "invalid_redirect_uri"}
    assert right.status_code == 200
    assert "refresh_token" in right.json()


def test_minted_code_expires(sandbox: SandboxServer, client: httpx.Client):
    code = sandbox.mint_grant_code(expires_in_seconds=1)
    time.sleep(1.1)

    response = client.post("/oauth/v2/token", data=code_form(code))

    assert response.json() == {"error": "invalid_code"}


def test_control_endpoint_mints_codes(client: httpx.Client):
    minted = client.post(
        "/__sandbox__/grant-codes", json={"scope": "ZohoCRM.modules.READ"}
    )
    exchanged = client.post("/oauth/v2/token", data=code_form(minted.json()["code"]))

    assert minted.status_code == 200
    assert exchanged.json()["scope"] == "ZohoCRM.modules.READ"


def test_revoke_ends_refresh_and_access_tokens(client: httpx.Client):
    access_token = new_access_token(client)

    revoked = client.post("/oauth/v2/token/revoke", data={"token": seed.REFRESH_TOKEN})
    refresh = client.post("/oauth/v2/token", data=refresh_form())
    call = client.get(DEAL_PATH, headers=bearer(access_token))

    assert revoked.json() == {"status": "success"}
    assert refresh.json() == {"error": "invalid_code"}
    assert call.status_code == 401
    assert call.json()["code"] == "INVALID_TOKEN"


def test_revoke_unknown_token(client: httpx.Client):
    response = client.post("/oauth/v2/token/revoke", data={"token": "1000.x.y"})

    assert response.status_code == 200
    assert response.json() == {"error": "invalid_token"}


def test_refresh_rate_limit_denies_access(sandbox: SandboxServer, client: httpx.Client):
    sandbox.configure(refresh_limit=2)
    other = client.post("/oauth/v2/token", data=code_form(seed.GRANT_CODE)).json()

    statuses = [client.post("/oauth/v2/token", data=refresh_form()) for _ in range(3)]
    other_refresh = client.post(
        "/oauth/v2/token", data=refresh_form(refresh_token=other["refresh_token"])
    )

    assert [r.status_code for r in statuses] == [200, 200, 400]
    assert statuses[2].json() == {
        "error_description": "You have made too many requests continuously. "
        "Please try again after some time.",
        "error": "Access Denied",
        "status": "failure",
    }
    assert other_refresh.status_code == 200


def test_refresh_limit_window_slides(sandbox: SandboxServer, client: httpx.Client):
    sandbox.configure(refresh_limit=1, refresh_window_seconds=1)

    first = client.post("/oauth/v2/token", data=refresh_form())
    blocked = client.post("/oauth/v2/token", data=refresh_form())
    time.sleep(1.1)
    later = client.post("/oauth/v2/token", data=refresh_form())

    assert first.status_code == 200
    assert blocked.status_code == 400
    assert later.status_code == 200


def test_legacy_token_shape(sandbox: SandboxServer, client: httpx.Client):
    sandbox.configure(legacy_token_shape=True)

    body = client.post("/oauth/v2/token", data=refresh_form()).json()

    assert body["expires_in_sec"] == 3600
    assert body["expires_in"] == 3_600_000


def test_access_token_expires(sandbox: SandboxServer, client: httpx.Client):
    sandbox.configure(token_ttl_seconds=1)
    headers = bearer(new_access_token(client))

    fresh = client.get(DEAL_PATH, headers=headers)
    time.sleep(1.1)
    stale = client.get(DEAL_PATH, headers=headers)

    assert fresh.status_code == 200
    assert stale.status_code == 401
    assert stale.json() == {
        "code": "INVALID_TOKEN",
        "details": {},
        "message": "invalid oauth token",
        "status": "error",
    }


def test_api_domain_override_binds_token_elsewhere(
    sandbox: SandboxServer, client: httpx.Client
):
    sandbox.configure(api_domain="https://www.zohoapis.eu")

    body = client.post("/oauth/v2/token", data=refresh_form()).json()
    call = client.get(DEAL_PATH, headers=bearer(body["access_token"]))

    assert body["api_domain"] == "https://www.zohoapis.eu"
    assert call.status_code == 401
    assert call.json()["code"] == "INVALID_TOKEN"


def test_token_works_only_on_issuing_host(sandbox: SandboxServer, client: httpx.Client):
    headers = bearer(new_access_token(client))
    port = sandbox.url.rsplit(":", 1)[1]

    other_host = client.get(DEAL_PATH, headers=headers | {"Host": f"localhost:{port}"})

    assert other_host.status_code == 401
    assert other_host.json()["code"] == "INVALID_TOKEN"


def test_token_from_another_sandbox_is_invalid(client: httpx.Client):
    with SandboxServer() as other, httpx.Client(base_url=other.url) as other_client:
        foreign = new_access_token(other_client)

    response = client.get(DEAL_PATH, headers=bearer(foreign))

    assert response.status_code == 401
    assert response.json()["code"] == "INVALID_TOKEN"


AUTH_FAILURE = {
    "code": "AUTHENTICATION_FAILURE",
    "details": {},
    "message": "Authentication failed",
    "status": "error",
}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Zoho-oauthtoken"},
        {"Authorization": "Zoho-oauthtoken not-a-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
    ids=["missing", "empty", "no-token", "garbled-token", "basic-scheme"],
)
def test_missing_or_garbled_header_fails_authentication(
    client: httpx.Client, headers: dict[str, str]
):
    response = client.get("/crm/v8/settings/modules", headers=headers)

    assert response.status_code == 401
    assert response.json() == AUTH_FAILURE


def test_unknown_token_is_invalid(client: httpx.Client):
    token = "1000." + "0" * 32 + "." + "1" * 32

    response = client.get(DEAL_PATH, headers=bearer(token))

    assert response.status_code == 401
    assert response.json()["code"] == "INVALID_TOKEN"


def test_bearer_scheme_is_accepted(client: httpx.Client):
    token = new_access_token(client)

    response = client.get(DEAL_PATH, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200


def test_narrow_scope_gets_scope_mismatch(sandbox: SandboxServer, client: httpx.Client):
    code = sandbox.mint_grant_code(scope="ZohoCRM.modules.deals.READ")
    token = client.post("/oauth/v2/token", data=code_form(code)).json()["access_token"]
    headers = bearer(token)

    read = client.get(DEAL_PATH, headers=headers)
    fields = client.get(FIELDS_PATH, headers=headers)
    write = client.put(DEAL_PATH, headers=headers, json={"data": [{"Next_Step": "x"}]})
    accounts = client.get("/crm/v8/Accounts?fields=Phone", headers=headers)

    assert read.status_code == 200
    assert fields.status_code == 401
    assert fields.json()["code"] == "OAUTH_SCOPE_MISMATCH"
    assert write.json()["code"] == "OAUTH_SCOPE_MISMATCH"
    assert accounts.json()["code"] == "OAUTH_SCOPE_MISMATCH"


def test_token_endpoint_needs_post(client: httpx.Client):
    response = client.get("/oauth/v2/token")

    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST_METHOD"


def test_start_options_apply(client: httpx.Client):
    with SandboxServer(options=SandboxOptions(token_ttl_seconds=120)) as server:
        body = httpx.post(f"{server.url}/oauth/v2/token", data=refresh_form()).json()

    assert body["expires_in"] == 120
