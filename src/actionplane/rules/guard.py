"""The allowlist guard that runs before any rule.

A request may change only fields listed in `allowedFields` of its object on its
connector. An unknown connector or an unmanaged object fails the guard too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from actionplane.config.model import (
    CONNECTORS_FILE,
    Connector,
    ManagedObject,
    Route,
    Workspace,
)
from actionplane.errors import RuleError
from actionplane.rules.decision import TraceEntry, TraceOutcome


@dataclass(frozen=True, slots=True)
class GuardResult:
    denied: bool
    entry: TraceEntry
    connector: Connector | None = None
    object_name: str | None = None


class AllowlistGuard:
    """The guard for one workspace, with its lookup tables built once."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._connectors = {c.name: c for c in workspace.connectors}
        self._only = workspace.connectors[0] if len(workspace.connectors) == 1 else None
        self._objects: dict[
            tuple[str, str], tuple[ManagedObject, frozenset[str], TraceEntry]
        ] = {}
        for connector in workspace.connectors:
            for managed in connector.managed_objects:
                key = (connector.name, managed.object_api_name)
                self._objects[key] = (
                    managed,
                    frozenset(managed.allowed_fields),
                    _pass_entry(connector, managed),
                )

    def check(self, request: Mapping[str, Any]) -> GuardResult:
        """Check the request's connector, object and changed fields.

        Raise RuleError when the request does not have the request shape at all.
        """
        object_name, changes = _request_shape(request)
        name = request.get("connector")
        connector = self._only if name is None else self._connectors.get(str(name))
        if connector is None:
            return _deny(_connector_problem(self.workspace, name), None, object_name)
        found = self._objects.get((connector.name, object_name))
        if found is None:
            managed_names = ", ".join(
                o.object_api_name for o in connector.managed_objects
            )
            return _deny(
                f"connector {connector.name!r} does not manage object {object_name!r} "
                f"(managed objects: {managed_names or 'none'})",
                connector,
                object_name,
            )
        managed, allowed, entry = found
        if not allowed.issuperset(changes):
            outside = [field for field in changes if field not in allowed]
            return _deny(
                _outside_message(connector, managed, outside),
                connector,
                object_name,
                managed,
            )
        return GuardResult(False, entry, connector, object_name)


def check_allowlist(workspace: Workspace, request: Mapping[str, Any]) -> GuardResult:
    """Check one request; `AllowlistGuard` does the same with tables kept."""
    return AllowlistGuard(workspace).check(request)


def _pass_entry(connector: Connector, managed: ManagedObject) -> TraceEntry:
    return TraceEntry(
        TraceOutcome.ALLOWLIST,
        Route.ALLOW,
        f"every changed field is in the allowlist of {connector.name} "
        f"{managed.object_api_name}",
        policy_file=CONNECTORS_FILE,
        line=_line(managed),
    )


def _request_shape(request: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    if type(request) is not dict and not isinstance(request, Mapping):
        raise RuleError(
            f"the request is a {type(request).__name__}, not a mapping; pass "
            "{connector, object, recordId, changes, actor, reason, dryRun}"
        )
    object_name = request.get("object")
    if not isinstance(object_name, str) or not object_name:
        raise RuleError(
            f"the request's object is {object_name!r}; set `object` to the Zoho "
            "module API name, for example Deals"
        )
    changes = request.get("changes")
    if type(changes) is not dict and not isinstance(changes, Mapping):
        raise RuleError(
            f"the request's changes are {changes!r}; set `changes` to a mapping of "
            "field API name to {before, after}"
        )
    return object_name, changes


def _connector_problem(workspace: Workspace, name: Any) -> str:
    names = ", ".join(c.name for c in workspace.connectors) or "none"
    if name is None:
        return (
            f"the request names no connector and the workspace has "
            f"{len(workspace.connectors)} (connectors: {names})"
        )
    return f"connector {name!r} is not in {CONNECTORS_FILE} (connectors: {names})"


def _outside_message(
    connector: Connector, managed: ManagedObject, outside: list[str]
) -> str:
    return (
        f"field(s) {', '.join(outside)} are not in the allowlist of "
        f"{connector.name} {managed.object_api_name} "
        f"(allowedFields: {', '.join(managed.allowed_fields)})"
    )


def _line(managed: ManagedObject | None) -> int | None:
    if managed is None or managed.location is None:
        return None
    return managed.location.line


def _deny(
    message: str,
    connector: Connector | None,
    object_name: str,
    managed: ManagedObject | None = None,
) -> GuardResult:
    entry = TraceEntry(
        TraceOutcome.ALLOWLIST,
        Route.DENY,
        message,
        policy_file=CONNECTORS_FILE,
        line=_line(managed),
    )
    return GuardResult(True, entry, connector, object_name)
