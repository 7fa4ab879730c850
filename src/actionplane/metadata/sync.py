"""Sync Zoho field metadata into the workspace snapshot."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from actionplane.config.model import Connector
from actionplane.metadata.diff import MetadataChange, diff_snapshots
from actionplane.metadata.snapshot import (
    Snapshot,
    load_snapshot,
    module_entry,
    write_snapshot,
)


class MetadataSource(Protocol):
    """The part of the Zoho client that a sync reads from."""

    max_concurrency: int

    def list_modules(self) -> list[dict[str, Any]]: ...

    def get_fields(self, module: str) -> list[dict[str, Any]]: ...


Progress = Callable[[str, int, int], None]


@dataclass
class SyncResult:
    snapshot: Snapshot
    previous: Snapshot | None
    changes: list[MetadataChange] = field(default_factory=list)
    path: Path | None = None
    written: bool = False

    @property
    def changed(self) -> bool:
        return self.previous is None or bool(self.changes)


def fetch_snapshot(
    connector: Connector, source: MetadataSource, *, progress: Progress | None = None
) -> Snapshot:
    """Read the modules list and the fields of every managed object from Zoho."""
    modules = {m["api_name"]: m for m in source.list_modules()}
    wanted = [obj.object_api_name for obj in connector.managed_objects]
    fetchable = [
        name
        for name in wanted
        if name in modules and modules[name].get("api_supported")
    ]
    fields: dict[str, list[dict[str, Any]]] = {}
    done = 0

    def fetch(name: str) -> tuple[str, list[dict[str, Any]]]:
        return name, source.get_fields(name)

    workers = max(1, min(source.max_concurrency, len(fetchable) or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for name, module_fields in pool.map(fetch, fetchable):
            fields[name] = module_fields
            done += 1
            if progress:
                progress(name, done, len(fetchable))
    entries = {
        name: module_entry(raw, fields.get(name))
        for name, raw in sorted(modules.items())
    }
    return Snapshot(
        connector=connector.name,
        source_host=connector.instance_url,
        api_version=connector.api_version,
        synced_at=datetime.now(UTC)
        .replace(microsecond=0)
        .isoformat()
        .replace("+00:00", "Z"),
        modules=entries,
    )


def sync_metadata(
    workspace_root: Path,
    connector: Connector,
    source: MetadataSource,
    *,
    check_only: bool = False,
    progress: Progress | None = None,
) -> SyncResult:
    """Fetch live metadata and, unless `check_only`, write it when it changed.

    An unchanged snapshot is left as it is, sync time included, so a sync that
    finds nothing new produces no diff in git.
    """
    previous = load_snapshot(workspace_root, connector.name)
    live = fetch_snapshot(connector, source, progress=progress)
    result = SyncResult(snapshot=live, previous=previous)
    if previous is not None:
        result.changes = diff_snapshots(previous, live)
        if previous.source_host != live.source_host:
            result.changes.insert(
                0, MetadataChange("source-changed", previous.source_host)
            )
    if check_only or not result.changed:
        return result
    result.path = write_snapshot(workspace_root, live)
    result.written = True
    return result
