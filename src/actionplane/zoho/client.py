"""The Zoho CRM v8 API client: metadata reads, record reads and record updates.

Retry rules live in ``session``: reads are retried, writes are never resent once
Zoho may have processed them. After such an ambiguous write the client reads the
record back and reports whether the write landed.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx

from actionplane.config.model import Connector
from actionplane.zoho.errors import (
    ZohoApiError,
    ZohoError,
    ZohoNotFoundError,
    ZohoRequestError,
    error_from_body,
)
from actionplane.zoho.oauth import TokenProvider
from actionplane.zoho.redaction import Redactor
from actionplane.zoho.session import AmbiguousWrite, CrmSession
from actionplane.zoho.tokens import FileTokenCache, TokenCache, default_cache_dir
from actionplane.zoho.transport import (
    ExchangeRecorder,
    Reply,
    RetryPolicy,
    ZohoExchange,
    ZohoHttp,
)
from actionplane.zoho.writes import (
    BulkUpdateResult,
    RecordWrite,
    WriteOutcome,
    result_from_item,
    result_from_read_back,
    strip_dollar_keys,
)

log = logging.getLogger("actionplane.zoho")

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# Zoho's smallest edition (Free) allows 5 concurrent calls per org and app.
DEFAULT_MAX_CONCURRENCY = 5
MAX_RECORDS_PER_UPDATE = 100

_MODULE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_RECORD_ID = re.compile(r"[0-9]{1,30}")

__all__ = [
    "BulkUpdateResult",
    "RecordWrite",
    "RetryPolicy",
    "WriteOutcome",
    "ZohoClient",
    "ZohoExchange",
]


class ZohoClient:
    """A synchronous client for one connector, safe to share between threads.

    Credentials are read from ``env`` whenever a token is needed. ``token_cache``
    defaults to the owner-only file in the user's cache folder. ``recorder``
    receives a redacted ``ZohoExchange`` for every HTTP request, token refreshes
    and retries included. At most ``max_concurrency`` CRM requests are in flight.
    """

    def __init__(
        self,
        connector: Connector,
        *,
        env: Mapping[str, str] = os.environ,
        transport: httpx.BaseTransport | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        token_cache: TokenCache | None = None,
        retry: RetryPolicy | None = None,
        recorder: ExchangeRecorder | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.connector = connector
        self.max_concurrency = max_concurrency
        self._client = httpx.Client(
            transport=transport,
            timeout=timeout,
            headers={"User-Agent": "actionplane", "Accept": "application/json"},
        )
        http = ZohoHttp(
            self._client, Redactor(), max_concurrency=max_concurrency, recorder=recorder
        )
        retry = retry or RetryPolicy()
        if token_cache is None:
            token_cache = FileTokenCache(default_cache_dir(env))
        self.tokens = TokenProvider(
            connector, env=env, cache=token_cache, http=http, retry=retry, clock=clock
        )
        self.session = CrmSession(connector, http=http, tokens=self.tokens, retry=retry)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ZohoClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def list_modules(self) -> list[dict[str, Any]]:
        body = self.session.get("/settings/modules")
        return list(body.get("modules") or []) if body else []

    def get_fields(self, module: str) -> list[dict[str, Any]]:
        body = self.session.get("/settings/fields", {"module": _module(module)})
        return list(body.get("fields") or []) if body else []

    def get_current_user(self) -> dict[str, Any]:
        body = self.session.get("/users", {"type": "CurrentUser"})
        return _first(body, "users", "GET /users?type=CurrentUser")

    def get_org(self) -> dict[str, Any]:
        return _first(self.session.get("/org"), "org", "GET /org")

    def get_record(
        self, module: str, record_id: str, *, fields: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """Return the record without ``$`` keys; raise ZohoNotFoundError if missing."""
        path = f"/{_module(module)}/{_record_id(record_id)}"
        params = {"fields": ",".join(fields)} if fields else None
        body = self.session.get(path, params)
        data = body.get("data") if isinstance(body, dict) else None
        if not data:
            raise ZohoNotFoundError(
                "NO_CONTENT",
                f"{module} record {record_id} was not found in Zoho CRM, or the API "
                "user cannot see it. Check the record id and the user's permissions.",
                http_status=204,
            )
        return dict(strip_dollar_keys(data[0]))

    def update_record(
        self,
        module: str,
        record_id: str,
        values: Mapping[str, Any],
        *,
        if_unmodified_since: datetime | str | None = None,
        trigger: Sequence[str] | None = None,
    ) -> RecordWrite:
        """Update one record; raise the typed error when Zoho rejects it.

        412 ALREADY_MODIFIED raises ZohoConflictError. After an ambiguous failure
        the outcome comes from a read-back and may be ``not_landed`` or ``unknown``.
        ``trigger`` sets the automations to run (``[]`` runs none); None leaves
        Zoho's default.
        """
        path = f"/{_module(module)}/{_record_id(record_id)}"
        if str(values.get("id", record_id)) != record_id:
            raise ZohoRequestError(
                f"values['id'] {values['id']!r} differs from record_id {record_id!r}. "
                "Leave id out of values or make them equal."
            )
        fields = {key: value for key, value in values.items() if key != "id"}
        sent = [(record_id, fields)]
        result = self._update(module, path, sent, if_unmodified_since, trigger)[1][0]
        if result.error is not None:
            raise result.error
        return result

    def update_records(
        self,
        module: str,
        records: Sequence[Mapping[str, Any]],
        *,
        if_unmodified_since: datetime | str | None = None,
        trigger: Sequence[str] | None = None,
    ) -> BulkUpdateResult:
        """Update up to 100 records in one call; each record needs its ``id``.

        Rejected records come back as results with an ``error``, not as exceptions;
        errors about the whole call (auth, module, rate limit) raise.
        """
        path = f"/{_module(module)}"
        if len(records) > MAX_RECORDS_PER_UPDATE:
            raise ZohoRequestError(
                f"{len(records)} records were given to one update, but Zoho accepts "
                f"at most {MAX_RECORDS_PER_UPDATE}. Split them into batches of "
                f"{MAX_RECORDS_PER_UPDATE} or fewer."
            )
        if not records:
            return BulkUpdateResult(http_status=None, results=[])
        ids = [_bulk_record_id(record, index) for index, record in enumerate(records)]
        sent = [
            (record_id, {**record, "id": record_id})
            for record_id, record in zip(ids, records, strict=True)
        ]
        status, results = self._update(module, path, sent, if_unmodified_since, trigger)
        return BulkUpdateResult(http_status=status, results=results)

    def _update(
        self,
        module: str,
        path: str,
        sent: list[tuple[str, dict[str, Any]]],
        if_unmodified_since: datetime | str | None,
        trigger: Sequence[str] | None,
    ) -> tuple[int | None, list[RecordWrite]]:
        baseline = _format_time(if_unmodified_since) if if_unmodified_since else None
        headers = {"If-Unmodified-Since": baseline} if baseline else {}
        body: dict[str, Any] = {"data": [values for _, values in sent]}
        if trigger is not None:
            body["trigger"] = list(trigger)

        reply = self.session.put(path, body, headers)
        if isinstance(reply, AmbiguousWrite):
            return None, self._read_back_all(module, sent, reply.reason, baseline)
        data = reply.body.get("data") if isinstance(reply.body, dict) else None
        if isinstance(data, list):
            results = self._per_record(module, path, reply, data, sent, baseline)
            return reply.status, results
        if reply.status >= 400:
            context = f"PUT {self.session.api_path(path)}"
            raise error_from_body(reply.body, reply.status, context)
        reason = f"HTTP {reply.status} without per-record results"
        return reply.status, self._read_back_all(module, sent, reason, baseline)

    def _per_record(
        self,
        module: str,
        path: str,
        reply: Reply,
        data: list[Any],
        sent: list[tuple[str, dict[str, Any]]],
        baseline: str | None,
    ) -> list[RecordWrite]:
        """Map data[] items to records in request order, which is Zoho's order."""
        context = f"PUT {self.session.api_path(path)}"
        results = []
        for index, (record_id, values) in enumerate(sent):
            item = data[index] if index < len(data) else None
            if isinstance(item, dict):
                results.append(result_from_item(record_id, item, reply.status, context))
                continue
            reason = f"HTTP {reply.status} without a result for record {record_id}"
            results.append(self._read_back(module, record_id, values, reason, baseline))
        return results

    def _read_back_all(
        self,
        module: str,
        sent: list[tuple[str, dict[str, Any]]],
        reason: str,
        baseline: str | None,
    ) -> list[RecordWrite]:
        return [
            self._read_back(module, record_id, values, reason, baseline)
            for record_id, values in sent
        ]

    def _read_back(
        self,
        module: str,
        record_id: str,
        sent: dict[str, Any],
        reason: str,
        baseline: str | None,
    ) -> RecordWrite:
        log.warning(
            "update of %s record %s is ambiguous (%s); reading the record back",
            module,
            record_id,
            reason,
        )
        try:
            record = self.get_record(module, record_id)
        except ZohoError as error:
            return result_from_read_back(
                record_id,
                sent,
                None,
                baseline=baseline,
                ambiguity=reason,
                read_error=error.message,
            )
        return result_from_read_back(
            record_id, sent, record, baseline=baseline, ambiguity=reason
        )


def _first(body: Any, key: str, context: str) -> dict[str, Any]:
    items = body.get(key) if isinstance(body, dict) else None
    if not items or not isinstance(items[0], dict):
        raise ZohoApiError(
            "NO_CONTENT",
            f"Zoho CRM returned no '{key}' for {context}. Check the API user's "
            "permissions and the scopes of the refresh token.",
        )
    return dict(items[0])


def _format_time(value: datetime | str) -> str:
    """Format a time as Zoho's ISO 8601 with offset, e.g. 2024-01-15T15:26:49+05:30."""
    parsed = value if isinstance(value, datetime) else _parse_time(value)
    if parsed.tzinfo is None:
        raise ZohoRequestError(
            f"if_unmodified_since {value!s} has no UTC offset. Give a time with an "
            "offset, such as the record's Modified_Time."
        )
    return parsed.isoformat(timespec="seconds")


def _parse_time(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ZohoRequestError(
            f"if_unmodified_since {value!r} is not an ISO 8601 time. Use a value "
            "like 2024-01-15T15:26:49+05:30."
        ) from None


def _module(module: str) -> str:
    if not _MODULE_NAME.fullmatch(module):
        raise ZohoRequestError(
            f"Module name {module!r} is not a Zoho API name. Use the module's API "
            "name, such as Deals."
        )
    return module


def _record_id(record_id: str) -> str:
    if not isinstance(record_id, str) or not _RECORD_ID.fullmatch(record_id):
        raise ZohoRequestError(
            f"Record id {record_id!r} is not a Zoho record id. Zoho ids are strings "
            "of digits, such as '4200017000000527003'."
        )
    return record_id


def _bulk_record_id(record: Mapping[str, Any], index: int) -> str:
    if "id" not in record:
        raise ZohoRequestError(
            f"Record {index} of the update has no 'id'. Each record of a bulk "
            "update needs the id of the record to change."
        )
    return _record_id(str(record["id"]))
