"""Zoho's accounts server: the token endpoint, revocation, and grant codes.

Zoho returns OAuth errors with HTTP 200 and a body `{"error": "..."}`, so a
client that checks only the status code is caught. `invalid_code` covers a bad,
used or expired grant code and also a bad or revoked refresh token. The refresh
rate limit returns HTTP 400 with an `Access Denied` body.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs

from actionplane.zoho.sandbox import seed
from actionplane.zoho.sandbox.http_types import Request, Response
from actionplane.zoho.sandbox.options import SandboxOptions
from actionplane.zoho.sandbox.store import State, digest

# Zoho keeps at most this many live access tokens per refresh token; a new one
# pushes out the oldest.
MAX_LIVE_ACCESS_TOKENS = 30
DEFAULT_CODE_TTL_SECONDS = 180
ACCESS_DENIED = {
    "error_description": "You have made too many requests continuously. "
    "Please try again after some time.",
    "error": "Access Denied",
    "status": "failure",
}


def new_token() -> str:
    """Return a fresh token in Zoho's `1000.<32 hex>.<32 hex>` shape."""
    return f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"


def read_form(request: Request) -> dict[str, str]:
    """Return the form parameters; Zoho takes them in the body or the query string."""
    params = {name: values[0] for name, values in request.query.items() if values}
    body = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    params.update({name: values[0] for name, values in body.items() if values})
    return params


def oauth_error(error: str) -> Response:
    return Response(200, {"error": error})


def token_endpoint(
    request: Request, state: State, options: SandboxOptions, now: float, api_domain: str
) -> Response:
    form = read_form(request)
    grant_type = form.get("grant_type")
    if grant_type == "refresh_token":
        return _refresh(form, state, options, now, api_domain)
    if grant_type == "authorization_code":
        return _exchange_code(form, state, options, now, api_domain)
    return oauth_error("unsupported_grant_type")


def revoke_endpoint(request: Request, state: State) -> Response:
    """Revoke a refresh token and every access token issued from it."""
    token = read_form(request).get("token", "")
    refresh_digest = digest(token)
    if refresh_digest not in state["refresh_tokens"]:
        # NOTE: Zoho's response to an unknown token was not observed; the SDK
        # only counts {"status": "success"} as success.
        return oauth_error("invalid_token")
    del state["refresh_tokens"][refresh_digest]
    state["refresh_history"].pop(refresh_digest, None)
    state["access_tokens"] = {
        key: grant
        for key, grant in state["access_tokens"].items()
        if grant["refresh"] != refresh_digest
    }
    return Response(200, {"status": "success"})


def mint_grant_code(
    state: State,
    now: float,
    *,
    scope: str = seed.SCOPE,
    redirect_uri: str | None = None,
    expires_in_seconds: int = DEFAULT_CODE_TTL_SECONDS,
) -> str:
    """Create a single-use grant code for the sandbox client and return it."""
    code = new_token()
    state["grant_codes"][digest(code)] = {
        "client_id": seed.CLIENT_ID,
        "scope": scope,
        "redirect_uri": redirect_uri,
        "expires_at": now + expires_in_seconds,
    }
    return code


def expire_access_tokens(state: State, now: float) -> int:
    """End the life of every access token now; return how many were live."""
    live = 0
    for grant in state["access_tokens"].values():
        if grant["expires_at"] > now:
            live += 1
            grant["expires_at"] = now
    return live


def _client_error(form: dict[str, str]) -> str | None:
    if form.get("client_id") != seed.CLIENT_ID:
        return "invalid_client"
    if form.get("client_secret") != seed.CLIENT_SECRET:
        return "invalid_client_secret"
    return None


def _refresh(
    form: dict[str, str],
    state: State,
    options: SandboxOptions,
    now: float,
    api_domain: str,
) -> Response:
    error = _client_error(form)
    if error:
        return oauth_error(error)
    refresh_digest = digest(form.get("refresh_token", ""))
    grant = state["refresh_tokens"].get(refresh_digest)
    if grant is None or grant["client_id"] != form["client_id"]:
        return oauth_error("invalid_code")

    window_start = now - options.refresh_window_seconds
    history = [
        t for t in state["refresh_history"].get(refresh_digest, []) if t > window_start
    ]
    if len(history) >= options.refresh_limit:
        return Response(400, dict(ACCESS_DENIED))
    state["refresh_history"][refresh_digest] = [*history, now]

    token = _issue_access_token(
        state, refresh_digest, grant["scope"], now, options, api_domain
    )
    return Response(200, _token_body(token, grant["scope"], options, api_domain))


def _exchange_code(
    form: dict[str, str],
    state: State,
    options: SandboxOptions,
    now: float,
    api_domain: str,
) -> Response:
    error = _client_error(form)
    if error:
        return oauth_error(error)
    code_digest = digest(form.get("code", ""))
    grant = state["grant_codes"].get(code_digest)
    expired = (
        grant is not None
        and grant["expires_at"] is not None
        and grant["expires_at"] <= now
    )
    if grant is None or expired or grant["client_id"] != form["client_id"]:
        return oauth_error("invalid_code")
    if (
        grant["redirect_uri"] is not None
        and form.get("redirect_uri") != grant["redirect_uri"]
    ):
        return oauth_error("invalid_redirect_uri")

    del state["grant_codes"][code_digest]
    refresh_token = new_token()
    refresh_digest = digest(refresh_token)
    state["refresh_tokens"][refresh_digest] = {
        "client_id": grant["client_id"],
        "scope": grant["scope"],
    }
    token = _issue_access_token(
        state, refresh_digest, grant["scope"], now, options, api_domain
    )
    body = _token_body(token, grant["scope"], options, api_domain)
    body["refresh_token"] = refresh_token
    return Response(200, body)


def _issue_access_token(
    state: State,
    refresh_digest: str,
    scope: str,
    now: float,
    options: SandboxOptions,
    api_domain: str,
) -> str:
    tokens: dict[str, Any] = state["access_tokens"]
    own = sorted(
        (grant["issued_at"], key)
        for key, grant in tokens.items()
        if grant["refresh"] == refresh_digest and grant["expires_at"] > now
    )
    for _, key in own[: max(0, len(own) - MAX_LIVE_ACCESS_TOKENS + 1)]:
        del tokens[key]
    for key in [
        key for key, grant in tokens.items() if grant["expires_at"] <= now - 86400
    ]:
        del tokens[key]

    token = new_token()
    tokens[digest(token)] = {
        "refresh": refresh_digest,
        "scope": scope,
        "issued_at": now,
        "expires_at": now + options.token_ttl_seconds,
        "api_domain": api_domain,
        "org_id": seed.ORG["id"],
    }
    return token


def _token_body(
    token: str, scope: str, options: SandboxOptions, api_domain: str
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "access_token": token,
        "scope": scope,
        "api_domain": api_domain,
        "token_type": "Bearer",
        "expires_in": options.token_ttl_seconds,
    }
    if options.legacy_token_shape:
        # The older shape gave `expires_in` in milliseconds next to `expires_in_sec`.
        body["expires_in_sec"] = options.token_ttl_seconds
        body["expires_in"] = options.token_ttl_seconds * 1000
    return body
