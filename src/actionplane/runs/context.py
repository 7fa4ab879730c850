"""The state store, workspace, Zoho clients and clock that run operations share."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from actionplane.config.model import Connector
from actionplane.errors import ZohoError
from actionplane.runs.applied import AppliedConfig, load_applied
from actionplane.state.base import StateStore
from actionplane.state.clock import utc_now
from actionplane.zoho.client import ZohoClient
from actionplane.zoho.transport import ExchangeRecorder, RetryPolicy, ZohoExchange

ClientFactory = Callable[[Connector, ExchangeRecorder], ZohoClient]

# Retry policy of clients made by `default_client_factory`; None is the client's
# default. Tests set a policy without sleeps here.
DEFAULT_RETRY: RetryPolicy | None = None


def default_client_factory(
    connector: Connector, recorder: ExchangeRecorder
) -> ZohoClient:
    """Make a client that reads credentials from the process environment."""
    if not connector.is_enabled:
        raise ZohoError(
            f"connector {connector.name!r} is disabled (isEnabled: false). Set it to"
            " true in connectors.yaml and apply the change before running writes."
        )
    return ZohoClient(connector, env=os.environ, recorder=recorder, retry=DEFAULT_RETRY)


class ExchangeLog:
    """Collects the redacted Zoho exchanges of one operation for its evidence."""

    def __init__(self) -> None:
        self.exchanges: list[ZohoExchange] = []

    def __call__(self, exchange: ZohoExchange) -> None:
        self.exchanges.append(exchange)

    @property
    def http_ms(self) -> float:
        """Total milliseconds spent inside HTTP calls."""
        return sum(exchange.duration_ms for exchange in self.exchanges)

    def drain(self) -> list[ZohoExchange]:
        taken, self.exchanges = self.exchanges, []
        return taken


def exchange_evidence(exchange: ZohoExchange) -> dict[str, Any]:
    return {
        "method": exchange.method,
        "url": exchange.origin + exchange.path,
        "request_headers": exchange.request_headers,
        "request_body": exchange.request_body,
        "status": exchange.status,
        "response_body": exchange.response_body,
        "duration_ms": round(exchange.duration_ms, 3),
        "error": exchange.error,
    }


def exchange_name(exchange: ZohoExchange) -> str:
    status = exchange.status if exchange.status is not None else "no response"
    path = exchange.path.split("?", 1)[0]
    return f"{exchange.method} {path} -> {status}"


@dataclass
class RunContext:
    """The state, workspace root, Zoho client factory and clock of run operations.

    ``actor`` is who runs the command, for audit entries of actions that are not
    tied to a requester or an approver, such as a resume.
    """

    state: StateStore
    root: Path
    actor: str
    client_factory: ClientFactory = default_client_factory
    clock: Callable[[], datetime] = utc_now
    exchanges: ExchangeLog = field(default_factory=ExchangeLog)
    _applied: AppliedConfig | None = field(default=None, repr=False)
    _clients: dict[str, ZohoClient] = field(default_factory=dict, repr=False)

    def applied(self) -> AppliedConfig:
        """Return the active revision's config, loading it again only when it moved."""
        active = self.state.active_revision()
        cached = self._applied
        if cached is None or active is None or active.serial != cached.serial:
            cached = load_applied(self.state, self.root)
            self._applied = cached
        return cached

    def client(self, connector: Connector) -> ZohoClient:
        """Return this context's client for the connector, made on first use.

        Clients are kept until ``close`` so that one command, or a benchmark loop,
        reuses connections and the access token.
        """
        client = self._clients.get(connector.name)
        if client is None or client.connector != connector:
            client = self.client_factory(connector, self.exchanges)
            self._clients[connector.name] = client
        return client

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def __enter__(self) -> RunContext:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def now(self) -> datetime:
        return self.clock()


@contextmanager
def open_run_context(
    root: Path, state_path: Path | None, actor: str | None = None
) -> Iterator[RunContext]:
    """Open the state store and a run context for one command, and close both.

    ``actor`` defaults to $ACTIONPLANE_ACTOR, $GITHUB_ACTOR or the login name.
    """
    from actionplane.plan.apply import current_user
    from actionplane.state import open_state

    state = open_state(state_path, root)
    try:
        with RunContext(state, root, actor or current_user()) as ctx:
            yield ctx
    finally:
        state.close()
