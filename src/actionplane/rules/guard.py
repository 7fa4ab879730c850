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


def check_allowlist(workspace: Workspace, request: Mapping[str, Any]) -> GuardResult:
    """Check the request's connector, object and changed fields.

    Raise RuleError when the request does not have the request shape at all.
    """
    object_name, changes = _request_shape(request)
    connector, problem = _connector(workspace, request.get("connector"))
    if connector is None:
        return _deny(problem, None, object_name)
    managed = connector.managed_object(object_name)
    if managed is None:
        managed_names = ", ".join(o.object_api_name for o in connector.managed_objects)
        return _deny(
            f"connector {connector.name!r} does not manage object {object_name!r} "
            f"(managed objects: {managed_names or 'none'})",
            connector,
            object_name,
        )
    outside = [name for name in changes if name not in managed.allowed_fields]
    if outside:
        return _deny(
            _outside_message(connector, managed, outside),
            connector,
            object_name,
            managed,
        )
    fields = ", ".join(changes) or "no fields"
    entry = TraceEntry(
        TraceOutcome.ALLOWLIST,
        Route.ALLOW,
        f"the changed fields ({fields}) are in the allowlist of "
        f"{connector.name} {object_name}",
        policy_file=CONNECTORS_FILE,
        line=_line(managed),
    )
    return GuardResult(False, entry, connector, object_name)


def _request_shape(request: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    if not isinstance(request, Mapping):
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
    if not isinstance(changes, Mapping):
        raise RuleError(
            f"the request's changes are {changes!r}; set `changes` to a mapping of "
            "field API name to {before, after}"
        )
    return object_name, changes


def _connector(workspace: Workspace, name: Any) -> tuple[Connector | None, str]:
    if name is None:
        if len(workspace.connectors) == 1:
            return workspace.connectors[0], ""
        names = ", ".join(c.name for c in workspace.connectors) or "none"
        return None, (
            f"the request names no connector and the workspace has "
            f"{len(workspace.connectors)} (connectors: {names})"
        )
    connector = workspace.connector(str(name))
    if connector is None:
        names = ", ".join(c.name for c in workspace.connectors) or "none"
        return (
            None,
            f"connector {name!r} is not in {CONNECTORS_FILE} (connectors: {names})",
        )
    return connector, ""


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
