"""Checks of the workspace against the committed Zoho metadata snapshots.

They catch, before merge, what Zoho would reject after it: unknown modules and
fields, fields the API cannot write, and rule or test literals that do not fit
a field's type or are picklist labels instead of stored values.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from actionplane.config.model import Connector, ManagedObject, Workspace
from actionplane.diagnostics import Diagnostic, error, warning
from actionplane.metadata.snapshot import Snapshot
from actionplane.zoho import hosts


def suggest_name(name: str, entries: dict[str, dict[str, Any]]) -> str | None:
    """Suggest the api_name meant by `name`: a case-insensitive match, a label match,
    or a close spelling."""
    lowered = name.lower()
    for api_name in entries:
        if api_name.lower() == lowered:
            return api_name
    normalized = lowered.replace(" ", "_")
    for api_name, entry in entries.items():
        label = str(entry.get("label") or "").lower()
        if label == lowered or label.replace(" ", "_") == normalized:
            return api_name
        if api_name.lower() == normalized:
            return api_name
    close = difflib.get_close_matches(name, list(entries), n=1, cutoff=0.75)
    return close[0] if close else None


def check_connector_metadata(
    workspace: Workspace, connector: Connector, snapshot: Snapshot | None
) -> Iterator[Diagnostic]:
    if snapshot is None:
        yield error(
            "metadata.missing",
            f"no metadata snapshot for connector {connector.name!r}",
            f"Run `actionplane connectors sync-metadata {connector.name}` and commit "
            f".actionplane/metadata/{connector.name}.json.",
            location=connector.location,
        )
        return
    if snapshot.source_host.rstrip("/") != connector.instance_url.rstrip("/"):
        yield _source_host_problem(connector, snapshot)
    for obj in connector.managed_objects:
        yield from _check_object(connector, obj, snapshot)


def _source_host_problem(connector: Connector, snapshot: Snapshot) -> Diagnostic:
    """A snapshot from another host: an error across data centers, else a warning.

    A snapshot synced from the embedded Zoho sandbox (a loopback host) is a
    fair stand-in while onboarding, so it only warns.
    """
    make = warning
    synced = hosts.api_host_parts(snapshot.source_host)
    configured = hosts.api_host_parts(connector.instance_url)
    if synced and configured and synced[0] != configured[0]:
        make = error
    return make(
        "metadata.source-host",
        f"the snapshot of {connector.name!r} was synced from {snapshot.source_host}, "
        f"but the connector points at {connector.instance_url}",
        f"Run `actionplane connectors sync-metadata {connector.name}` against the "
        "org the connector writes to.",
        location=connector.location,
    )


def _check_object(
    connector: Connector, obj: ManagedObject, snapshot: Snapshot
) -> Iterator[Diagnostic]:
    module = snapshot.module(obj.object_api_name)
    if module is None:
        hint = suggest_name(obj.object_api_name, snapshot.modules)
        fix = f"Did you mean {hint!r}? " if hint else ""
        yield error(
            "metadata.unknown-module",
            f"module {obj.object_api_name!r} does not exist in Zoho ({connector.name})",
            f"{fix}Use the module's exact api_name; if it was just created, run "
            f"`actionplane connectors sync-metadata {connector.name}`.",
            location=obj.location,
        )
        return
    if not module.get("apiSupported"):
        yield error(
            "metadata.module-not-api",
            f"module {obj.object_api_name!r} cannot be used through the Zoho API",
            "Zoho lists it with api_supported false; remove it from managedObjects.",
            location=obj.location,
        )
        return
    if not module.get("editable"):
        yield error(
            "metadata.module-not-editable",
            f"module {obj.object_api_name!r} is not editable",
            "Zoho lists it with editable false, so no record in it can be updated; "
            "remove it from managedObjects.",
            location=obj.location,
        )
    if "fields" not in module:
        yield error(
            "metadata.outdated",
            f"the snapshot has no fields for {obj.object_api_name!r}",
            f"Run `actionplane connectors sync-metadata {connector.name}`; the module "
            "was added to managedObjects after the last sync.",
            location=obj.location,
        )
        return
    for name in obj.allowed_fields:
        yield from _check_allowed_field(obj, name, module["fields"])


def _check_allowed_field(
    obj: ManagedObject, name: str, fields: dict[str, dict[str, Any]]
) -> Iterator[Diagnostic]:
    location = obj.field_locations.get(name, obj.location)
    entry = fields.get(name)
    if entry is None:
        hint = suggest_name(name, fields)
        fix = f"Did you mean {hint!r}? " if hint else ""
        yield error(
            "metadata.unknown-field",
            f"{obj.object_api_name} has no field with api_name {name!r}",
            f"{fix}Allowlists use exact, case-sensitive api_names, not labels.",
            location=location,
        )
        return
    if not entry.get("writable"):
        reason = entry.get("notWritableReason") or "the API cannot write it"
        yield error(
            "metadata.field-not-writable",
            f"{obj.object_api_name}.{name} cannot be written through the Zoho API",
            f"Reason: {reason}. Remove it from the allowlist.",
            location=location,
        )


def field_metadata(
    snapshot: Snapshot | None, objects: list[str], name: str
) -> tuple[str, dict[str, Any]] | None:
    """Find `name` in the first of `objects` whose snapshot has it."""
    if snapshot is None:
        return None
    for obj in objects:
        entry = snapshot.field(obj, name)
        if entry is not None:
            return obj, entry
    return None
