"""Helpers for tests that talk to the embedded Zoho sandbox over real HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from actionplane.zoho.sandbox import seed

TOKEN_PATTERN = r"1000\.[0-9a-f]{32}\.[0-9a-f]{32}"


def refresh_form(**overrides: str) -> dict[str, str]:
    form = {
        "grant_type": "refresh_token",
        "client_id": seed.CLIENT_ID,
        "client_secret": seed.CLIENT_SECRET,
        "refresh_token": seed.REFRESH_TOKEN,
    }
    form.update(overrides)
    return form


def new_access_token(client: httpx.Client, **overrides: str) -> str:
    response = client.post("/oauth/v2/token", data=refresh_form(**overrides))
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert isinstance(token, str)
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Zoho-oauthtoken {token}"}


def put_deal(
    client: httpx.Client, auth: dict[str, str], changes: dict[str, Any], **headers: str
) -> httpx.Response:
    return client.put(
        f"/crm/v8/Deals/{seed.SAMPLE_DEAL_ID}",
        headers=auth | headers,
        json={"data": [changes]},
    )


def get_deal(client: httpx.Client, auth: dict[str, str]) -> dict[str, Any]:
    response = client.get(f"/crm/v8/Deals/{seed.SAMPLE_DEAL_ID}", headers=auth)
    assert response.status_code == 200, response.text
    record: dict[str, Any] = response.json()["data"][0]
    return record
