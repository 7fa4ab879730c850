"""Differences between two metadata snapshots, for `sync-metadata --check`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from actionplane.metadata.snapshot import Snapshot


@dataclass(frozen=True)
class MetadataChange:
    kind: str  # module-added, module-removed, module-changed, field-added, field-removed, field-changed
    module: str
    field: str | None = None
    attributes: tuple[str, ...] = ()

    def describe(self) -> str:
        where = self.module if self.field is None else f"{self.module}.{self.field}"
        if self.attributes:
            return f"{self.kind}: {where} ({', '.join(self.attributes)})"
        return f"{self.kind}: {where}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "module": self.module,
            "field": self.field,
            "attributes": list(self.attributes),
        }


def diff_snapshots(old: Snapshot, new: Snapshot) -> list[MetadataChange]:
    changes: list[MetadataChange] = []
    for name in sorted(set(old.modules) | set(new.modules)):
        before, after = old.modules.get(name), new.modules.get(name)
        if before is None:
            changes.append(MetadataChange("module-added", name))
        elif after is None:
            changes.append(MetadataChange("module-removed", name))
        else:
            changes.extend(_diff_module(name, before, after))
    return changes


def _diff_module(
    name: str, before: dict[str, Any], after: dict[str, Any]
) -> list[MetadataChange]:
    changes = []
    attributes = _changed_attributes(before, after, skip={"fields"})
    if attributes:
        changes.append(MetadataChange("module-changed", name, attributes=attributes))
    old_fields = before.get("fields") or {}
    new_fields = after.get("fields") or {}
    for field_name in sorted(set(old_fields) | set(new_fields)):
        if field_name not in old_fields:
            changes.append(MetadataChange("field-added", name, field_name))
        elif field_name not in new_fields:
            changes.append(MetadataChange("field-removed", name, field_name))
        else:
            changed = _changed_attributes(
                old_fields[field_name], new_fields[field_name]
            )
            if changed:
                changes.append(
                    MetadataChange("field-changed", name, field_name, changed)
                )
    return changes


def _changed_attributes(
    before: dict[str, Any], after: dict[str, Any], skip: set[str] | None = None
) -> tuple[str, ...]:
    keys = (set(before) | set(after)) - (skip or set())
    return tuple(sorted(k for k in keys if before.get(k) != after.get(k)))
