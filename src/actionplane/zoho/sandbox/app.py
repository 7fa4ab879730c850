"""The sandbox application: routing, injected faults and the call log.

`SandboxApp.handle` turns a `Request` into a `Response` without touching
sockets, so the HTTP server stays a thin adapter.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from actionplane.zoho.sandbox import accounts, control, seed
from actionplane.zoho.sandbox.catalog import Catalog, load_catalog
from actionplane.zoho.sandbox.clock import format_time
from actionplane.zoho.sandbox.crm_api import API_PREFIX, CrmCall, route_crm
from actionplane.zoho.sandbox.crm_auth import authenticate
from actionplane.zoho.sandbox.http_types import Request, Response, api_error
from actionplane.zoho.sandbox.options import SandboxOptions
from actionplane.zoho.sandbox.present import present_record
from actionplane.zoho.sandbox.store import SandboxStore

logger = logging.getLogger("actionplane.zoho.sandbox")

TOKEN_PATH = "/oauth/v2/token"
REVOKE_PATH = "/oauth/v2/token/revoke"
MAX_LOGGED_CALLS = 10_000


class SandboxApp:
    def __init__(
        self,
        store: SandboxStore,
        options: SandboxOptions,
        catalog: Catalog | None = None,
    ) -> None:
        options.validate()
        self.store = store
        self.catalog = catalog or load_catalog()
        self.own_url = ""  # set by the server once it is bound
        self._initial_options = options
        self._options = options
        self._lock = threading.Lock()
        self._in_flight = 0
        self._crm_calls = 0
        self._random = random.Random(options.error_seed)
        self._calls: deque[dict[str, Any]] = deque(maxlen=MAX_LOGGED_CALLS)
        self._add_record_tables()

    @property
    def options(self) -> SandboxOptions:
        return self._options

    @property
    def api_domain(self) -> str:
        return self._options.api_domain or self.own_url

    def configure(self, changes: Mapping[str, Any]) -> SandboxOptions:
        """Apply option changes; raises SandboxOptionError and changes nothing on a bad one."""
        with self._lock:
            options = self._options.updated(changes)
            if "rate_limit_after" in changes:
                self._crm_calls = 0
            if "error_rate" in changes or "error_seed" in changes:
                self._random = random.Random(options.error_seed)
            self._options = options
        logger.info("sandbox options changed: %s", ", ".join(sorted(changes)))
        return options

    def reset(self) -> None:
        """Restore the seeded state and the options the server started with."""
        self.store.reset()
        self._add_record_tables()
        with self._lock:
            self._options = self._initial_options
            self._crm_calls = 0
            self._random = random.Random(self._options.error_seed)
            self._calls.clear()
        logger.info("sandbox reset to its seeded state")

    def _add_record_tables(self) -> None:
        """Give catalog modules that the seed has no records for an empty table.

        Only a catalog other than the packaged one has such modules.
        """
        with self.store.reading() as state:
            missing = [
                name for name in self.catalog.fields if name not in state["records"]
            ]
        if not missing:
            return
        with self.store.transaction() as state:
            for name in missing:
                state["records"].setdefault(name, {})

    def expire_tokens(self) -> int:
        """Expire every access token now; return how many were still live."""
        with self.store.transaction() as state:
            expired = accounts.expire_access_tokens(state, time.time())
        logger.info("sandbox expired %d access tokens", expired)
        return expired

    def mint_grant_code(
        self,
        *,
        scope: str | None = None,
        redirect_uri: str | None = None,
        expires_in_seconds: int = accounts.DEFAULT_CODE_TTL_SECONDS,
    ) -> str:
        with self.store.transaction() as state:
            return accounts.mint_grant_code(
                state,
                time.time(),
                scope=scope or seed.SCOPE,
                redirect_uri=redirect_uri,
                expires_in_seconds=expires_in_seconds,
            )

    def record(self, module: str, record_id: str) -> dict[str, Any] | None:
        """Return a record as the API would, without authentication or faults."""
        if not self.catalog.has_records(module):
            return None
        with self.store.reading() as state:
            stored = state["records"][module].get(record_id)
            if stored is None:
                return None
            return present_record(self.catalog, state, module, stored)

    def calls(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(call) for call in self._calls]

    def clear_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def handle(self, request: Request) -> Response:
        if request.path.startswith(control.PREFIX):
            return control.handle(self, request)
        started = time.monotonic()
        response = self._handle_api(request)
        self._log_call(request, response, started)
        return response

    def _handle_api(self, request: Request) -> Response:
        if request.path in (TOKEN_PATH, REVOKE_PATH):
            self._sleep_latency()
            if request.method != "POST":
                return api_error("INVALID_REQUEST_METHOD")
            return self._handle_accounts(request)
        if request.path.startswith("/crm/"):
            with self._in_flight_slot() as admitted:
                if not admitted:
                    return api_error("TOO_MANY_REQUESTS")
                self._sleep_latency()
                return self._handle_crm(request)
        return api_error("INVALID_URL_PATTERN")

    def _handle_accounts(self, request: Request) -> Response:
        with self.store.transaction() as state:
            if request.path == REVOKE_PATH:
                return accounts.revoke_endpoint(request, state)
            return accounts.token_endpoint(
                request, state, self._options, time.time(), self.api_domain
            )

    def _handle_crm(self, request: Request) -> Response:
        if not request.path.startswith(API_PREFIX):
            return api_error("INVALID_URL_PATTERN")
        now = datetime.now(UTC)
        with self.store.reading() as state:
            grant = authenticate(request, state, now.timestamp())
        if isinstance(grant, Response):
            return grant
        fault = self._injected_fault(request)
        if fault is not None:
            return fault

        writes = request.method == "PUT"
        session = self.store.transaction() if writes else self.store.reading()
        with session as state:
            call = CrmCall(request, state, self.catalog, self._options, now)
            response, written = route_crm(call, grant)
            if written:
                # Cleared inside the transaction, so the next write, which
                # waits for the store, cannot apply the same alteration.
                self._clear_used_alteration(call.options.alter_next_write)
        expiry = datetime.fromtimestamp(grant["expires_at"], UTC)
        response.headers["X-ACCESSTOKEN-RESET"] = format_time(expiry)
        if written and self._take_drop_next_write():
            logger.info(
                "sandbox dropped the connection after writing %d records", written
            )
            response.drop_connection = True
        return response

    def _injected_fault(self, request: Request) -> Response | None:
        with self._lock:
            options = self._options
            self._crm_calls += 1
            if (
                options.rate_limit_after is not None
                and self._crm_calls > options.rate_limit_after
            ):
                return api_error("TOO_MANY_REQUESTS")
            if request.method == "GET" and options.fail_next_reads > 0:
                self._options = options.updated(
                    {"fail_next_reads": options.fail_next_reads - 1}
                )
                return api_error("INTERNAL_ERROR")
            if options.error_rate and self._random.random() < options.error_rate:
                return api_error("INTERNAL_ERROR")
        return None

    def _take_drop_next_write(self) -> bool:
        with self._lock:
            if not self._options.drop_next_write:
                return False
            self._options = self._options.updated({"drop_next_write": False})
            return True

    def _clear_used_alteration(self, used: dict[str, Any] | None) -> None:
        """Clear `alter_next_write` after a write applied it.

        A value set again while the write ran is kept for the write after.
        """
        if used is None:
            return
        with self._lock:
            if self._options.alter_next_write is used:
                self._options = self._options.updated({"alter_next_write": None})

    @contextlib.contextmanager
    def _in_flight_slot(self) -> Iterator[bool]:
        with self._lock:
            limit = self._options.max_concurrency
            admitted = limit is None or self._in_flight < limit
            if admitted:
                self._in_flight += 1
        try:
            yield admitted
        finally:
            if admitted:
                with self._lock:
                    self._in_flight -= 1

    def _sleep_latency(self) -> None:
        if self._options.latency_ms:
            time.sleep(self._options.latency_ms / 1000)

    def _log_call(self, request: Request, response: Response, started: float) -> None:
        # The query string is left out: OAuth parameters may travel in it.
        entry = {
            "method": request.method,
            "path": request.path,
            "status": None if response.drop_connection else response.status,
            "dropped": response.drop_connection,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
        }
        with self._lock:
            self._calls.append(entry)
        logger.debug("%s %s -> %s", request.method, request.path, entry["status"])
