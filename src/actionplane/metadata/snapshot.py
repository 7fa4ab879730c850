"""The metadata snapshot: Zoho modules and fields as committed to the workspace.

A snapshot keeps only what ActionPlane reads (names, labels, types, lengths,
writability, picklist values, lookup targets) in sorted, stable JSON so a pull
request shows a readable diff. Its digest covers the modules and fields but not
the sync time, so a sync that finds nothing new leaves the file unchanged.

Writability follows Zoho's field metadata: a field can be written through the
API only when `operation_type.api_update` is true and `read_only` (read-only for
the API user) is false. `field_read_only` alone does not block API writes: Zoho
marks the Deals `Owner` field that way while `api_update` stays true.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actionplane.config.model import METADATA_DIR
from actionplane.errors import ConfigError

SNAPSHOT_FORMAT_VERSION = 1

# Data types whose value Zoho computes; the API never writes them.
COMPUTED_TYPES = {
    "formula": "formula field",
    "autonumber": "auto-number field",
    "rollup_summary": "roll-up summary field",
}
NUMBER_TYPES = {"integer", "bigint", "double", "currency", "percent", "decimal"}
DATE_TYPES = {"date"}
DATETIME_TYPES = {"datetime"}
PICKLIST_TYPES = {"picklist", "multiselectpicklist"}


def snapshot_path(workspace_root: Path, connector: str) -> Path:
    return workspace_root / METADATA_DIR / f"{connector}.json"


def field_entry(raw: dict[str, Any]) -> dict[str, Any]:
    """Reduce one Zoho field definition to the snapshot's field entry."""
    data_type = raw.get("data_type") or "text"
    operation = raw.get("operation_type") or {}
    api_update = bool(operation.get("api_update", False))
    read_only = bool(raw.get("read_only", False))
    entry: dict[str, Any] = {
        "apiName": raw["api_name"],
        "label": raw.get("field_label") or raw.get("display_label") or raw["api_name"],
        "dataType": data_type,
        "jsonType": raw.get("json_type"),
        "length": raw.get("length"),
        "decimals": raw.get("decimal_place"),
        "apiUpdate": api_update,
        "readOnly": read_only,
        "fieldReadOnly": bool(raw.get("field_read_only", False)),
        "custom": bool(raw.get("custom_field", False)),
        "systemMandatory": bool(raw.get("system_mandatory", False)),
        "writable": api_update and not read_only,
    }
    reason = not_writable_reason(entry)
    if reason:
        entry["notWritableReason"] = reason
    if data_type in PICKLIST_TYPES:
        entry["picklist"] = sorted(
            (
                {"value": item.get("actual_value"), "label": item.get("display_value")}
                for item in raw.get("pick_list_values") or []
                if item.get("type", "used") != "unused"
            ),
            key=lambda item: str(item["value"]),
        )
    lookup = raw.get("lookup") or {}
    module = (
        (lookup.get("module") or {}).get("api_name")
        if isinstance(lookup, dict)
        else None
    )
    if module:
        entry["lookup"] = module
    return entry


def not_writable_reason(entry: dict[str, Any]) -> str | None:
    if entry["writable"]:
        return None
    data_type = entry["dataType"]
    if data_type in COMPUTED_TYPES:
        return f"{COMPUTED_TYPES[data_type]}: Zoho computes its value"
    if entry["readOnly"]:
        return "read-only for the API user (read_only is true)"
    if not entry["custom"] and entry["fieldReadOnly"]:
        return "system field: Zoho maintains it (operation_type.api_update is false)"
    return "operation_type.api_update is false"


def module_entry(
    raw_module: dict[str, Any], raw_fields: list[dict[str, Any]] | None
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "apiName": raw_module["api_name"],
        "label": raw_module.get("plural_label") or raw_module["api_name"],
        "apiSupported": bool(raw_module.get("api_supported", False)),
        "editable": bool(raw_module.get("editable", False)),
    }
    if raw_fields is not None:
        entry["fields"] = {f["api_name"]: field_entry(f) for f in raw_fields}
    return entry


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest_of(value: Any) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(value).encode()).hexdigest()


@dataclass
class Snapshot:
    connector: str
    source_host: str
    api_version: str
    synced_at: str
    modules: dict[str, dict[str, Any]]

    @property
    def digest(self) -> str:
        return digest_of(self.modules)

    def module(self, name: str) -> dict[str, Any] | None:
        return self.modules.get(name)

    def field(self, module: str, name: str) -> dict[str, Any] | None:
        mod = self.modules.get(module) or {}
        result: dict[str, Any] | None = (mod.get("fields") or {}).get(name)
        return result

    def field_digest(self, module: str, name: str) -> str | None:
        entry = self.field(module, name)
        return None if entry is None else digest_of(entry)

    def to_dict(self) -> dict[str, Any]:
        return {
            "formatVersion": SNAPSHOT_FORMAT_VERSION,
            "connector": self.connector,
            "source": {"host": self.source_host, "apiVersion": self.api_version},
            "syncedAt": self.synced_at,
            "digest": self.digest,
            "modules": self.modules,
        }

    def to_json(self) -> str:
        return (
            json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False)
            + "\n"
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str) -> Snapshot:
        try:
            if data["formatVersion"] != SNAPSHOT_FORMAT_VERSION:
                raise ConfigError(
                    f"{origin} has snapshot format {data['formatVersion']}, but this "
                    f"actionplane reads format {SNAPSHOT_FORMAT_VERSION}; upgrade actionplane "
                    "or run `actionplane connectors sync-metadata` again"
                )
            snapshot = cls(
                connector=data["connector"],
                source_host=data["source"]["host"],
                api_version=data["source"]["apiVersion"],
                synced_at=data["syncedAt"],
                modules=data["modules"],
            )
        except (KeyError, TypeError) as exc:
            raise ConfigError(
                f"{origin} is not a valid metadata snapshot (missing {exc}); run "
                "`actionplane connectors sync-metadata CONNECTOR` to rewrite it"
            ) from None
        if data.get("digest") != snapshot.digest:
            raise ConfigError(
                f"{origin} was edited by hand: its digest does not match its content; "
                "run `actionplane connectors sync-metadata CONNECTOR` to rewrite it"
            )
        return snapshot


def load_snapshot(workspace_root: Path, connector: str) -> Snapshot | None:
    """Read a connector's committed snapshot, or return None when there is none."""
    path = snapshot_path(workspace_root, connector)
    if not path.is_file():
        return None
    return parse_snapshot(
        path.read_text(encoding="utf-8"), str(path.relative_to(workspace_root))
    )


def parse_snapshot(text: str, origin: str) -> Snapshot:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{origin} is not valid JSON (line {exc.lineno}, column {exc.colno}); run "
            "`actionplane connectors sync-metadata CONNECTOR` to rewrite it"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{origin} is not a metadata snapshot; rerun sync-metadata")
    return Snapshot.from_dict(data, origin)


def write_snapshot(workspace_root: Path, snapshot: Snapshot) -> Path:
    """Write the snapshot atomically (temporary file, then rename)."""
    path = snapshot_path(workspace_root, snapshot.connector)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(snapshot.to_json(), encoding="utf-8")
    tmp.replace(path)
    return path
