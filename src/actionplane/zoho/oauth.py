"""Zoho OAuth: credentials from the environment, token refresh and the API domain.

Zoho's accounts server returns most OAuth errors with HTTP 200 and an ``error``
key, so a refresh is successful only when the body holds ``access_token``. The
token response's ``api_domain`` is the API host of the org's data center; a
configured instanceUrl in another data center cannot work with that token.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from actionplane.config.model import Connector
from actionplane.zoho import hosts
from actionplane.zoho.errors import (
    ZohoConnectionError,
    ZohoCredentialError,
    ZohoRequestError,
    ZohoServerError,
)
from actionplane.zoho.oauth_errors import (
    data_center_error,
    oauth_error,
    unexpected_token_response,
)
from actionplane.zoho.tokens import AccessToken, TokenCache, cache_key
from actionplane.zoho.transport import Reply, RetryPolicy, ZohoHttp

TOKEN_PATH = "/oauth/v2/token"
DEFAULT_TOKEN_LIFETIME_SECONDS = 3600.0

_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Credentials:
    """Resolved connector credentials and the variables they came from."""

    client_id: str
    client_secret: str
    refresh_token: str
    client_id_variable: str
    client_secret_variable: str
    refresh_token_variable: str

    def __repr__(self) -> str:
        return (
            f"Credentials(client_id=${{{self.client_id_variable}}}, "
            f"client_secret=${{{self.client_secret_variable}}}, "
            f"refresh_token=${{{self.refresh_token_variable}}})"
        )


def resolve_credentials(connector: Connector, env: Mapping[str, str]) -> Credentials:
    """Read the connector's ``${ENV_VAR}`` credential references from ``env``.

    Errors name the setting and the variable, never a value.
    """
    settings = (
        ("clientId", connector.client_id),
        ("clientSecret", connector.client_secret),
        ("refreshToken", connector.refresh_token),
    )
    variables = [_variable_name(connector.name, key, ref) for key, ref in settings]
    values = [
        _variable_value(connector.name, key, variable, env)
        for (key, _), variable in zip(settings, variables, strict=True)
    ]
    return Credentials(*values, *variables)


def _variable_name(connector: str, setting: str, reference: str) -> str:
    match = _ENV_REFERENCE.fullmatch(reference.strip())
    if match is None:
        raise ZohoCredentialError(
            f"{setting} of connector '{connector}' is not an environment variable "
            "reference. Put the value in an environment variable and write "
            f"{setting}: ${{VARIABLE_NAME}} in connectors.yaml."
        )
    return match.group(1)


def _variable_value(
    connector: str, setting: str, variable: str, env: Mapping[str, str]
) -> str:
    value = env.get(variable, "").strip()
    if not value:
        raise ZohoCredentialError(
            f"Environment variable {variable} ({setting} of connector "
            f"'{connector}') is not set or empty. Export it before running "
            f"the command, for example: export {variable}=..."
        )
    return value


def require_secure_url(url: str, setting: str) -> None:
    """Raise unless ``url`` is https, or http on a loopback host (the sandbox)."""
    scheme = httpx.URL(url).scheme
    if scheme == "https" or (scheme == "http" and hosts.is_loopback(url)):
        return
    raise ZohoRequestError(
        f"{setting} {url} is not an https URL. Credentials and tokens are sent only "
        "over https, or over http to the sandbox on a loopback address; fix the URL."
    )


def parse_token_reply(
    reply: Reply, *, connector: Connector, credentials: Credentials, now: float
) -> AccessToken:
    """Turn a token-endpoint reply into an ``AccessToken`` or raise the mapped error."""
    body = reply.body
    if isinstance(body, dict) and body.get("access_token"):
        return AccessToken(
            access_token=str(body["access_token"]),
            api_domain=str(body.get("api_domain") or connector.instance_url),
            issued_at=now,
            expires_at=now + token_lifetime(body),
        )
    if isinstance(body, dict) and body.get("error"):
        raise oauth_error(body, reply.status, connector, credentials)
    if reply.status >= 500:
        raise ZohoServerError(
            "INTERNAL_ERROR",
            f"The Zoho accounts server {connector.login_url} answered HTTP "
            f"{reply.status} to a token refresh. Try again later.",
            http_status=reply.status,
        )
    raise unexpected_token_response(reply.status, connector)


def token_lifetime(body: dict[str, Any]) -> float:
    """Return the token lifetime in seconds.

    Older responses carry ``expires_in_sec`` in seconds, and then ``expires_in``
    is in milliseconds.
    """
    try:
        if body.get("expires_in_sec") is not None:
            return float(body["expires_in_sec"])
        if body.get("expires_in") is not None:
            return float(body["expires_in"])
    except (TypeError, ValueError):
        pass
    return DEFAULT_TOKEN_LIFETIME_SECONDS


def api_base_url(api_domain: str, connector: Connector) -> str:
    """Return the base URL for CRM calls, or raise when ``api_domain`` belongs to
    another data center or host than the configured instanceUrl.

    Sandbox and developer orgs get the production ``api_domain`` of their data
    center, so the configured ``sandbox.``/``developer.`` host is kept there.
    """
    configured = connector.instance_url.rstrip("/")
    domain = api_domain.rstrip("/")
    domain_parts = hosts.api_host_parts(domain)
    configured_parts = hosts.api_host_parts(configured)
    if domain_parts and configured_parts:
        if domain_parts[0] != configured_parts[0]:
            raise data_center_error(domain, connector)
        return domain if configured_parts[1] == "www" else configured
    if httpx.URL(domain).netloc.lower() != httpx.URL(configured).netloc.lower():
        raise data_center_error(domain, connector)
    return domain


class TokenProvider:
    """Hands out a fresh access token, refreshing it at most once at a time."""

    def __init__(
        self,
        connector: Connector,
        *,
        env: Mapping[str, str],
        cache: TokenCache,
        http: ZohoHttp,
        retry: RetryPolicy,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.connector = connector
        self.env = env
        self.cache = cache
        self.http = http
        self.retry = retry
        self.clock = clock
        self.refresh_count = 0
        self._lock = threading.Lock()

    def credentials(self) -> Credentials:
        credentials = resolve_credentials(self.connector, self.env)
        self.http.redactor.add(credentials.client_secret)
        self.http.redactor.add(credentials.refresh_token)
        return credentials

    def token(self) -> AccessToken:
        """Return a cached token that is not about to expire, or a new one."""
        with self._lock:
            credentials = self.credentials()
            key = self._key(credentials)
            cached = self.cache.get(key)
            if cached is not None and cached.is_fresh(self.clock()):
                self.http.redactor.add(cached.access_token)
                return cached
            token = self._refresh(credentials)
            self.cache.put(key, token)
            return token

    def invalidate(self, token: AccessToken) -> None:
        """Forget ``token`` after Zoho rejected it, unless another thread already
        replaced it."""
        with self._lock:
            self.cache.drop(self._key(self.credentials()), token.access_token)

    def _key(self, credentials: Credentials) -> str:
        return cache_key(
            self.connector.login_url, credentials.client_id, credentials.refresh_token
        )

    def _refresh(self, credentials: Credentials) -> AccessToken:
        require_secure_url(self.connector.login_url, "loginUrl")
        reply = self._post_refresh(credentials)
        token = parse_token_reply(
            reply, connector=self.connector, credentials=credentials, now=self.clock()
        )
        self.http.redactor.add(token.access_token)
        self.refresh_count += 1
        return token

    def _post_refresh(self, credentials: Credentials) -> Reply:
        url = self.connector.login_url.rstrip("/") + TOKEN_PATH
        # Form body, never a query string: a URL ends up in proxy and server logs.
        form = {
            "grant_type": "refresh_token",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
            "refresh_token": credentials.refresh_token,
        }
        call = f"token refresh at {self.connector.login_url}"
        for attempt in range(1, self.retry.attempts + 1):
            last = attempt == self.retry.attempts
            try:
                reply = self.http.send("POST", url, form=form, limited=False)
            except httpx.TransportError as error:
                if last:
                    raise _unreachable(self.connector.login_url, error) from None
                self.retry.wait(attempt, type(error).__name__, call)
                continue
            if reply.status >= 500 and not last:
                self.retry.wait(attempt, f"HTTP {reply.status}", call)
                continue
            return reply
        raise AssertionError("the retry loop always returns or raises")


def _unreachable(login_url: str, error: httpx.TransportError) -> ZohoConnectionError:
    return ZohoConnectionError(
        f"Could not reach the Zoho accounts server {login_url} "
        f"({type(error).__name__}). Check the network connection and loginUrl."
    )
