from __future__ import annotations

from typing import Any

import pytest

from actionplane.state.redact import REDACTED, redact

TOKEN = "1000.0123456789abcdef0123456789abcdef.fedcba9876543210fedcba9876543210"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"access_token": "abc"}, {"access_token": REDACTED}),
        ({"refresh_token": "abc"}, {"refresh_token": REDACTED}),
        ({"refreshToken": "abc"}, {"refreshToken": REDACTED}),
        ({"client_secret": "abc"}, {"client_secret": REDACTED}),
        ({"Client-Secret": "abc"}, {"Client-Secret": REDACTED}),
        ({"Authorization": "Zoho-oauthtoken x"}, {"Authorization": REDACTED}),
        (
            {"clientSecret": "${ZOHO_CLIENT_SECRET}"},
            {"clientSecret": "${ZOHO_CLIENT_SECRET}"},
        ),
        ({"clientSecret": "pre${ZOHO}"}, {"clientSecret": REDACTED}),
        ({"access_token": None}, {"access_token": None}),
        ({"access_token": {"nested": 1}}, {"access_token": REDACTED}),
        ({"clientId": "1000.ABC"}, {"clientId": "1000.ABC"}),
        (f"header Zoho-oauthtoken {TOKEN}", f"header Zoho-oauthtoken {REDACTED}"),
        (f"Bearer {TOKEN}", f"Bearer {REDACTED}"),
        (f"token was {TOKEN}.", f"token was {REDACTED}."),
        ("refresh_token=abc&client_id=x", f"refresh_token={REDACTED}&client_id=x"),
        ("a?client_secret=s3cr3t", f"a?client_secret={REDACTED}"),
        ("Basic plan upgrade", "Basic plan upgrade"),
        ("Amount raised to 1000.50", "Amount raised to 1000.50"),
        (
            [{"x": TOKEN}, (1, "Bearer abcdefghijklmnopqrstu")],
            [{"x": REDACTED}, [1, f"Bearer {REDACTED}"]],
        ),
        (
            {"Amount": 2000, "Stage": "Won", "ok": True},
            {"Amount": 2000, "Stage": "Won", "ok": True},
        ),
    ],
    ids=[
        "access-token-key",
        "refresh-token-key",
        "camel-case-key",
        "client-secret-key",
        "header-style-key",
        "authorization-header",
        "env-reference-kept",
        "env-reference-with-text",
        "empty-secret-kept",
        "secret-container",
        "client-id-kept",
        "zoho-oauthtoken-text",
        "bearer-text",
        "bare-token-shape",
        "query-parameter",
        "client-secret-parameter",
        "basic-prose-kept",
        "decimal-amount-kept",
        "nested-containers",
        "plain-record-kept",
    ],
)
def test_redact(value: Any, expected: Any) -> None:
    assert redact(value) == expected


def test_redact_leaves_input_unchanged() -> None:
    original = {"access_token": "abc", "nested": {"refresh_token": "def"}}
    redact(original)
    assert original == {"access_token": "abc", "nested": {"refresh_token": "def"}}
