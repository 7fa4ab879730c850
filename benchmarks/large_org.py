"""A generated Zoho org for benchmarks: custom modules with hundreds of fields.

The specs use the compact shapes of the sandbox's package data, so
`build_catalog` expands them into the field definitions that
`GET /crm/v8/settings/fields` returns. Field names carry their kind and position
(`Currency_002`), so the rule generator can pick fields by kind.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from actionplane.metadata.snapshot import Snapshot, module_entry
from actionplane.zoho.sandbox.catalog import Catalog, build_catalog

MODULES = 20
FIELDS_PER_MODULE = 300
CONNECTOR = "zoho-sandbox"

PICKLIST = [
    "-None-",
    "New",
    "Open",
    {"display": "In Review", "actual": "Review"},
    "Won",
    "Lost",
    {"display": "On Hold", "actual": "Hold"},
    "Archived",
]
TAGS = ["Priority", "Partner", "Renewal", "Churn Risk", "Upsell"]

# Name prefix and compact spec of each field kind, in the order fields cycle
# through them. Positions 1 and 2 are always Name and Owner.
FIELD_KINDS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("Text", {"type": "text", "length": 255}),
    ("Currency", {"type": "currency", "length": 16, "decimal_place": 2}),
    ("Integer", {"type": "integer", "length": 9}),
    ("Picklist", {"type": "picklist", "length": 120, "picklist": PICKLIST}),
    ("Date", {"type": "date", "length": 20}),
    ("Checkbox", {"type": "boolean", "length": 5}),
    ("Notes", {"type": "textarea", "length": 32000, "textarea": "large"}),
    ("Decimal", {"type": "double", "length": 16, "decimal_place": 2}),
    ("Email", {"type": "email", "length": 100}),
    ("Due_Time", {"type": "datetime", "length": 120}),
    ("Phone", {"type": "phone", "length": 30}),
    ("Percent", {"type": "percent", "length": 5}),
    ("Website", {"type": "website", "length": 255}),
    ("Tags", {"type": "multiselectpicklist", "length": 2000, "picklist": TAGS}),
    ("Related", {"type": "lookup", "length": 120}),
    (
        "Score",
        {
            "type": "formula",
            "length": 16,
            "access": "read_only",
            "formula": {"return_type": "double", "expression": "Decimal_009*2"},
        },
    ),
    ("Synced_Time", {"type": "datetime", "length": 120, "access": "system"}),
    ("Legacy_Code", {"type": "text", "length": 50, "access": "read_only"}),
)


def module_name(number: int) -> str:
    return f"Module_{number:02d}"


def module_specs(count: int) -> list[dict[str, Any]]:
    return [
        {
            "api_name": module_name(number),
            "module_name": f"CustomModule{number}",
            "singular_label": f"Module {number:02d} Record",
            "plural_label": f"Module {number:02d}",
            "id": f"3652397{900_000 + number:012d}",
            "sequence_number": number,
            "api_supported": True,
            "generated_type": "custom",
        }
        for number in range(1, count + 1)
    ]


def field_specs(module_number: int, modules: int, count: int) -> list[dict[str, Any]]:
    """Return `count` field specs; lookups point at the next module."""
    specs: list[dict[str, Any]] = [
        {
            "api_name": "Name",
            "label": "Name",
            "type": "text",
            "length": 120,
            "mandatory": True,
            "display_field": True,
        },
        {
            "api_name": "Owner",
            "label": "Owner",
            "type": "ownerlookup",
            "length": 120,
            "access": "owner",
        },
    ]
    lookup_target = module_name(module_number % modules + 1)
    for position in range(3, count + 1):
        prefix, kind = FIELD_KINDS[(position - 3) % len(FIELD_KINDS)]
        spec = {
            "api_name": f"{prefix}_{position:03d}",
            "label": f"{prefix.replace('_', ' ')} {position}",
            "custom": True,
            **kind,
        }
        if spec["type"] == "lookup":
            spec["lookup"] = lookup_target
        specs.append(spec)
    return specs


def fields_of_kind(prefix: str, count: int = FIELDS_PER_MODULE) -> list[str]:
    """Return the api_names of one kind's fields, in position order."""
    names = []
    for position in range(3, count + 1):
        if FIELD_KINDS[(position - 3) % len(FIELD_KINDS)][0] == prefix:
            names.append(f"{prefix}_{position:03d}")
    return names


def build_large_catalog(
    modules: int = MODULES, fields: int = FIELDS_PER_MODULE
) -> Catalog:
    specs = module_specs(modules)
    return build_catalog(
        specs,
        {
            spec["api_name"]: field_specs(spec["sequence_number"], modules, fields)
            for spec in specs
        },
    )


def snapshot_from_catalog(catalog: Catalog, instance_url: str) -> Snapshot:
    """Return the snapshot a sync of every catalog module would write."""
    entries = {
        module["api_name"]: module_entry(
            module, list(catalog.fields.get(module["api_name"], ()))
        )
        for module in catalog.modules
    }
    return Snapshot(
        connector=CONNECTOR,
        source_host=instance_url,
        api_version="v8",
        synced_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        modules=entries,
    )
