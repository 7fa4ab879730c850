"""Authorized CRM requests with Zoho's retry rules for reads and writes.

Reads are retried with backoff on connection failures, 429 and 5xx. A write is
resent only when Zoho cannot have processed it: 429 (sent instead of processing
the call), a connection that never opened, or 401 INVALID_TOKEN (the gateway
rejects the token before any work). Any other failure after
the request was sent makes the write ambiguous, and the caller must learn its fate
by reading the record back.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from actionplane.config.model import Connector
from actionplane.zoho.errors import ZohoConnectionError, error_from_body
from actionplane.zoho.oauth import TokenProvider, api_base_url, require_secure_url
from actionplane.zoho.tokens import AccessToken
from actionplane.zoho.transport import Reply, RetryPolicy, ZohoHttp

log = logging.getLogger("actionplane.zoho")

# Failures where the request cannot have reached Zoho, so a write may be resent.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class AmbiguousWrite:
    """A write that may or may not have been applied; ``reason`` names the failure."""

    reason: str


class CrmSession:
    """Sends CRM requests for one connector with a token from ``tokens``."""

    def __init__(
        self,
        connector: Connector,
        *,
        http: ZohoHttp,
        tokens: TokenProvider,
        retry: RetryPolicy,
    ) -> None:
        self.connector = connector
        self.http = http
        self.tokens = tokens
        self.retry = retry

    def api_path(self, path: str) -> str:
        return f"/crm/{self.connector.api_version}{path}"

    def get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """Return the body of a GET, or None for 204 No Content; raise on errors."""
        reply = self._read(path, params)
        if reply.status >= 400:
            raise error_from_body(
                reply.body, reply.status, f"GET {self.api_path(path)}"
            )
        return reply.body if reply.status != 204 else None

    def put(
        self, path: str, body: dict[str, Any], headers: Mapping[str, str]
    ) -> Reply | AmbiguousWrite:
        """Send a write; return its reply, or AmbiguousWrite when its fate is unknown."""
        call = f"PUT {self.api_path(path)}"
        for attempt in range(1, self.retry.attempts + 1):
            last = attempt == self.retry.attempts
            try:
                reply = self._call("PUT", path, json_body=body, headers=headers)
            except _NOT_SENT as error:
                if last:
                    raise self._unreachable(call, error) from None
                self.retry.wait(attempt, type(error).__name__, call)
                continue
            except httpx.TransportError as error:
                return AmbiguousWrite(
                    f"{type(error).__name__} after the request was sent"
                )
            if reply.status == 429 and not last:
                self.retry.wait(attempt, "HTTP 429", call)
                continue
            if reply.status >= 500:
                return AmbiguousWrite(f"HTTP {reply.status} from Zoho")
            return reply
        raise AssertionError("the retry loop always returns or raises")

    def _read(self, path: str, params: Mapping[str, str] | None) -> Reply:
        call = f"GET {self.api_path(path)}"
        for attempt in range(1, self.retry.attempts + 1):
            last = attempt == self.retry.attempts
            try:
                reply = self._call("GET", path, params=params)
            except httpx.TransportError as error:
                if last:
                    raise self._unreachable(call, error) from None
                self.retry.wait(attempt, type(error).__name__, call)
                continue
            if (reply.status == 429 or reply.status >= 500) and not last:
                self.retry.wait(attempt, f"HTTP {reply.status}", call)
                continue
            return reply
        raise AssertionError("the retry loop always returns or raises")

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """Send one request; after 401 INVALID_TOKEN, refresh the token once and
        resend once."""
        request = (method, path, params, json_body, headers)
        token = self.tokens.token()
        reply = self._send(token, *request)
        if reply.status == 401 and _error_code(reply.body) == "INVALID_TOKEN":
            log.info("Zoho rejected the access token; refreshing it once")
            self.tokens.invalidate(token)
            reply = self._send(self.tokens.token(), *request)
        return reply

    def _send(
        self,
        token: AccessToken,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        json_body: Any,
        headers: Mapping[str, str] | None,
    ) -> Reply:
        base = api_base_url(token.api_domain, self.connector)
        require_secure_url(base, "The token's api_domain")
        all_headers = {"Authorization": f"Zoho-oauthtoken {token.access_token}"}
        all_headers.update(headers or {})
        return self.http.send(
            method,
            f"{base}{self.api_path(path)}",
            headers=all_headers,
            params=params,
            json_body=json_body,
        )

    def _unreachable(
        self, call: str, error: httpx.TransportError
    ) -> ZohoConnectionError:
        return ZohoConnectionError(
            f"Could not reach Zoho CRM for {call} after {self.retry.attempts} "
            f"attempts ({type(error).__name__}). Check the network connection and "
            f"the instanceUrl of connector '{self.connector.name}'."
        )


def _error_code(body: Any) -> str | None:
    return body.get("code") if isinstance(body, dict) else None
