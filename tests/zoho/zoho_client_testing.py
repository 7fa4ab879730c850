"""A scripted Zoho for ``httpx.MockTransport``, and connectors and settings for tests.

``FakeZoho`` serves the token endpoint and CRM paths. Each route takes a queue of
scripted replies (a response, an exception to raise, or a function of the
request); an empty queue falls back to the route's default. CRM requests need an
access token that the fake issued and has not expired.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx

from actionplane.config.model import Connector
from actionplane.zoho.client import ZohoClient
from actionplane.zoho.tokens import MemoryTokenCache, TokenCache
from actionplane.zoho.transport import RetryPolicy

CLIENT_ID = "1000.TESTCLIENTID0000000000000000"
# Sentinels: unique strings that must never appear in logs, errors or evidence.
CLIENT_SECRET = "sentinel-client-secret-7f3a9c1e5b"
REFRESH_TOKEN = "1000.5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b.0a1b2c3d4e5f60718293a4b5c6d7e8f9"
ENV = {
    "ZOHO_CLIENT_ID": CLIENT_ID,
    "ZOHO_CLIENT_SECRET": CLIENT_SECRET,
    "ZOHO_REFRESH_TOKEN": REFRESH_TOKEN,
}
DEAL_ID = "4200017000000527003"
MODIFIED_TIME = "2025-03-01T10:00:00+00:00"

Scripted = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def make_connector(
    login_url: str = "https://accounts.zoho.com",
    instance_url: str = "https://www.zohoapis.com",
    name: str = "zoho-test",
) -> Connector:
    return Connector(
        name=name,
        type="zoho-crm",
        login_url=login_url,
        instance_url=instance_url,
        api_version="v8",
        is_sandbox=False,
        is_enabled=True,
        client_id="${ZOHO_CLIENT_ID}",
        client_secret="${ZOHO_CLIENT_SECRET}",
        refresh_token="${ZOHO_REFRESH_TOKEN}",
        managed_objects=(),
    )


def no_wait_retry(attempts: int = 3) -> tuple[RetryPolicy, list[float]]:
    """Return a retry policy that records its delays instead of sleeping."""
    delays: list[float] = []
    return RetryPolicy(
        attempts=attempts, sleep=delays.append, random=lambda: 0.5
    ), delays


def json_response(status: int, body: Any) -> httpx.Response:
    return httpx.Response(status, json=body)


def zoho_error(
    status: int, code: str, message: str = "", **details: Any
) -> httpx.Response:
    body = {"code": code, "details": details, "message": message, "status": "error"}
    return json_response(status, body)


def deal(**values: Any) -> dict[str, Any]:
    record = {
        "id": DEAL_ID,
        "Deal_Name": "Northwind renewal",
        "Stage": "Qualification",
        "Amount": 1000,
        "Modified_Time": MODIFIED_TIME,
        "$approval_state": "approved",
        "$editable": True,
    }
    record.update(values)
    return record


@dataclass
class FakeZoho:
    """A scripted Zoho accounts server and CRM behind one MockTransport."""

    api_domain: str = "https://www.zohoapis.com"
    expires_in: int = 3600
    routes: dict[tuple[str, str], list[Scripted]] = field(default_factory=dict)
    defaults: dict[tuple[str, str], Scripted] = field(default_factory=dict)
    token_replies: list[Scripted] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    valid: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def client(self, cache: TokenCache | None = None, **kwargs: Any) -> ZohoClient:
        kwargs.setdefault("env", ENV)
        kwargs.setdefault("retry", no_wait_retry()[0])
        connector = kwargs.pop("connector", None) or make_connector()
        return ZohoClient(
            connector,
            transport=self.transport(),
            token_cache=cache or MemoryTokenCache(),
            **kwargs,
        )

    def on(self, method: str, path: str, *replies: Scripted) -> None:
        self.routes.setdefault((method, path), []).extend(replies)

    def default(self, method: str, path: str, reply: Scripted) -> None:
        self.defaults[(method, path)] = reply

    def expire_tokens(self) -> None:
        self.valid.clear()

    def token_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == "/oauth/v2/token"]

    def crm_requests(self, method: str | None = None) -> list[httpx.Request]:
        return [
            r
            for r in self.requests
            if r.url.path.startswith("/crm/") and method in (None, r.method)
        ]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
        if request.url.path == "/oauth/v2/token":
            return self._reply(self._pop_token_reply(), request)
        auth = request.headers.get("Authorization", "")
        if auth.removeprefix("Zoho-oauthtoken ") not in self.valid:
            return zoho_error(401, "INVALID_TOKEN", "invalid oauth token")
        key = (request.method, request.url.path)
        with self.lock:
            queue = self.routes.get(key)
            reply = queue.pop(0) if queue else self.defaults.get(key)
        if reply is None:
            return zoho_error(404, "INVALID_URL_PATTERN", "no such route in the fake")
        return self._reply(reply, request)

    def _pop_token_reply(self) -> Scripted:
        with self.lock:
            if self.token_replies:
                return self.token_replies.pop(0)
        return self._issue_token

    def _issue_token(self, request: httpx.Request) -> httpx.Response:
        token = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
        with self.lock:
            self.issued.append(token)
            self.valid.add(token)
        body = {
            "access_token": token,
            "scope": "ZohoCRM.modules.ALL",
            "api_domain": self.api_domain,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }
        return json_response(200, body)

    @staticmethod
    def _reply(reply: Scripted, request: httpx.Request) -> httpx.Response:
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, httpx.Response):
            return reply
        return reply(request)


def form_fields(request: httpx.Request) -> dict[str, str]:
    parsed = parse_qs(request.content.decode())
    return {key: values[0] for key, values in parsed.items()}


def json_body(request: httpx.Request) -> Any:
    return json.loads(request.content)
