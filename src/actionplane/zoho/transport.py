"""One HTTP exchange with Zoho: concurrency limit, logging, redaction and recording.

Retries and the meaning of statuses belong to the callers (``oauth`` and
``session``). This module sends one request, measures it, logs one INFO line and
passes a redacted record of it to the exchange recorder.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from actionplane.zoho.redaction import SECRET_KEYS, Redactor

log = logging.getLogger("actionplane.zoho")

# Maximum characters of a body written to a DEBUG log line.
_DEBUG_BODY_CHARS = 2000


@dataclass(frozen=True)
class ZohoExchange:
    """One request to Zoho and its response, with every credential redacted.

    ``path`` is the URL path with its query (secret parameters redacted) and
    ``origin`` the scheme and host. Bodies are parsed JSON where the content was
    JSON, a dict for form bodies, text otherwise, or None when empty. ``status``
    is None and ``error`` names the failure when no response arrived.
    ``duration_ms`` is wall-clock time from sending to the end of the response.
    """

    method: str
    origin: str
    path: str
    request_headers: dict[str, str]
    request_body: Any
    status: int | None
    response_body: Any
    duration_ms: float
    error: str | None = None


ExchangeRecorder = Callable[[ZohoExchange], None]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently retryable calls are repeated.

    ``attempts`` counts the first try. The delay before retry n (1-based) is
    ``min(max_delay, base_delay * 2 ** (n - 1))``, of which a random half is
    jitter so that parallel clients spread out. ``sleep`` and ``random`` are
    injectable so tests need not wait.
    """

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    random: Callable[[], float] = field(default=random.random, repr=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(
                f"RetryPolicy.attempts must be at least 1, not {self.attempts}"
            )

    def delay(self, retry: int) -> float:
        ceiling = min(self.max_delay, self.base_delay * 2 ** (retry - 1))
        return ceiling / 2 + self.random() * ceiling / 2

    def wait(self, retry: int, reason: str, call: str) -> None:
        seconds = self.delay(retry)
        log.warning(
            "%s: %s; retrying in %.2f s (attempt %d of %d)",
            call,
            reason,
            seconds,
            retry + 1,
            self.attempts,
        )
        self.sleep(seconds)


@dataclass(frozen=True)
class Reply:
    """A response with its body parsed as JSON where possible."""

    status: int
    body: Any
    headers: httpx.Headers


class ZohoHttp:
    """Sends single requests through one ``httpx.Client``.

    ``max_concurrency`` bounds the CRM requests in flight across all threads that
    share this object; calls with ``limited=False`` (the accounts server) bypass it.
    Exceptions from the recorder propagate to the caller.
    """

    def __init__(
        self,
        client: httpx.Client,
        redactor: Redactor,
        *,
        max_concurrency: int,
        recorder: ExchangeRecorder | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError(
                f"max_concurrency must be at least 1, not {max_concurrency}"
            )
        self.client = client
        self.redactor = redactor
        self.recorder = recorder
        self._semaphore = threading.BoundedSemaphore(max_concurrency)

    def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        limited: bool = True,
    ) -> Reply:
        """Send one request and return its reply; raise ``httpx.TransportError``
        when no response arrived."""
        request = self.client.build_request(
            method, url, headers=headers, params=params, json=json_body, data=form
        )
        request_body = self._request_body(json_body, form)
        started = time.perf_counter()
        try:
            response = self._send(request, limited)
        except httpx.TransportError as error:
            elapsed = _milliseconds_since(started)
            self._report(request, request_body, None, None, elapsed, error)
            raise
        elapsed = _milliseconds_since(started)
        body = _parse_body(response)
        self._report(request, request_body, response.status_code, body, elapsed, None)
        if response.status_code >= 400:
            # Error bodies end up in exception text, so they lose any secret that
            # a server echoed. They carry no record data that redaction could harm.
            body = self.redactor.value(body)
        return Reply(response.status_code, body, response.headers)

    def _send(self, request: httpx.Request, limited: bool) -> httpx.Response:
        if not limited:
            return self.client.send(request)
        with self._semaphore:
            return self.client.send(request)

    def _request_body(self, json_body: Any, form: Mapping[str, str] | None) -> Any:
        if form is not None:
            return self.redactor.form(form)
        return self.redactor.value(json_body)

    def _report(
        self,
        request: httpx.Request,
        request_body: Any,
        status: int | None,
        body: Any,
        duration_ms: float,
        error: httpx.TransportError | None,
    ) -> None:
        exchange = ZohoExchange(
            method=request.method,
            origin=f"{request.url.scheme}://{request.url.netloc.decode()}",
            path=self._display_path(request.url),
            request_headers=self.redactor.headers(_plain_headers(request.headers)),
            request_body=request_body,
            status=status,
            response_body=self.redactor.value(body),
            duration_ms=round(duration_ms, 1),
            error=self.redactor.text(f"{type(error).__name__}: {error}")
            if error
            else None,
        )
        _log_exchange(exchange)
        if self.recorder is not None:
            self.recorder(exchange)

    def _display_path(self, url: httpx.URL) -> str:
        pairs = [
            f"{key}={'[REDACTED]' if key.lower() in SECRET_KEYS else value}"
            for key, value in url.params.multi_items()
        ]
        path = url.path
        return self.redactor.text(f"{path}?{'&'.join(pairs)}" if pairs else path)


def _log_exchange(exchange: ZohoExchange) -> None:
    where = f"{exchange.origin}{exchange.path}"
    outcome = exchange.status if exchange.status is not None else exchange.error
    log.info(
        "%s %s -> %s in %.0f ms", exchange.method, where, outcome, exchange.duration_ms
    )
    if log.isEnabledFor(logging.DEBUG):
        log.debug(
            "%s %s request headers %s body %s; response body %s",
            exchange.method,
            where,
            exchange.request_headers,
            _truncate(exchange.request_body),
            _truncate(exchange.response_body),
        )


def _parse_body(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def _plain_headers(headers: httpx.Headers) -> dict[str, str]:
    return {name: value for name, value in headers.items()}


def _truncate(body: Any) -> str:
    text = body if isinstance(body, str) else json.dumps(body, default=str)
    if len(text) > _DEBUG_BODY_CHARS:
        return f"{text[:_DEBUG_BODY_CHARS]}... ({len(text)} characters)"
    return text


def _milliseconds_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
