"""Access-token checks on CRM requests, and the OAuth scopes each call needs."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from actionplane.zoho.sandbox import seed
from actionplane.zoho.sandbox.http_types import Request, Response, api_error
from actionplane.zoho.sandbox.store import State, digest

# Zoho documents `Zoho-oauthtoken`; `Bearer` is accepted as well because some
# integrations send it and the gateway serves them.
AUTH_SCHEMES = ("zoho-oauthtoken", "bearer")
TOKEN_SHAPE = re.compile(r"1000\.[0-9a-f]{32}\.[0-9a-f]{32}")


def authenticate(
    request: Request, state: State, now: float
) -> dict[str, Any] | Response:
    """Return the grant behind the request's access token, or a 401 response.

    A missing or malformed header is AUTHENTICATION_FAILURE. A well-formed token
    that is unknown, expired, revoked, or issued for another org or API domain
    is INVALID_TOKEN.
    """
    header = request.header("Authorization") or ""
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() not in AUTH_SCHEMES or not TOKEN_SHAPE.fullmatch(token):
        return api_error("AUTHENTICATION_FAILURE")

    grant = state["access_tokens"].get(digest(token))
    if grant is None or grant["expires_at"] <= now:
        return api_error("INVALID_TOKEN")
    if grant["org_id"] != seed.ORG["id"] or not _same_host(
        request, grant["api_domain"]
    ):
        return api_error("INVALID_TOKEN")
    return dict(grant)


def scope_allows(granted: str, needed: tuple[str, ...]) -> bool:
    """Return whether any scope in `granted` (space or comma separated) is in `needed`."""
    scopes = {scope.lower() for scope in re.split(r"[\s,]+", granted) if scope}
    return any(scope.lower() in scopes for scope in needed)


def record_scopes(module: str, operation: str) -> tuple[str, ...]:
    """Return the scopes that allow `operation` (READ or UPDATE) on a module's records."""
    name = module.lower()
    operations = (
        ("ALL", operation) if operation == "READ" else ("ALL", operation, "WRITE")
    )
    return tuple(f"ZohoCRM.modules.{op}" for op in operations) + tuple(
        f"ZohoCRM.modules.{name}.{op}" for op in operations
    )


def settings_scopes(area: str) -> tuple[str, ...]:
    return (
        "ZohoCRM.settings.ALL",
        "ZohoCRM.settings.READ",
        f"ZohoCRM.settings.{area}.ALL",
        f"ZohoCRM.settings.{area}.READ",
    )


def _same_host(request: Request, api_domain: str) -> bool:
    # Tokens work only on the API domain that issued them, so a token from
    # another data center is INVALID_TOKEN here, as it is at Zoho.
    host = request.header("Host")
    if host is None:
        return True
    return host.lower() == urlsplit(api_domain).netloc.lower()
