"""Module and field metadata of the sandbox org, from package data or given specs."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from actionplane.zoho.sandbox.fieldspec import (
    expand_field,
    picklist_item,
    picklist_value_id,
)
from actionplane.zoho.sandbox.seed import (
    ADMINISTRATOR_PROFILE,
    CURRENT_USER,
    STANDARD_PROFILE,
)

# Picklist values that an API write added: {module: {field: [value, ...]}}.
PicklistAdditions = dict[str, dict[str, list[str]]]

MODULE_MODIFIED_TIME = "2024-03-27T20:33:50+05:30"


def load_data(name: str) -> Any:
    text = (
        resources.files("actionplane.zoho.sandbox")
        .joinpath("data", name)
        .read_text("utf-8")
    )
    return json.loads(text)


@dataclass(frozen=True)
class Catalog:
    modules: tuple[dict[str, Any], ...]
    fields: dict[str, tuple[dict[str, Any], ...]]

    def module(self, api_name: str) -> dict[str, Any] | None:
        for module in self.modules:
            if module["api_name"] == api_name:
                return module
        return None

    def has_records(self, api_name: str) -> bool:
        return api_name in self.fields

    def field(self, module: str, api_name: str) -> dict[str, Any] | None:
        for field in self.fields.get(module, ()):
            if field["api_name"] == api_name:
                return field
        return None

    def display_field(self, module: str) -> str:
        for field in self.fields[module]:
            if field["display_field"]:
                return str(field["api_name"])
        return "id"

    def fields_with_additions(
        self, module: str, additions: PicklistAdditions
    ) -> list[dict[str, Any]]:
        """Return a copy of a module's fields with API-added picklist values."""
        fields = copy.deepcopy(list(self.fields[module]))
        for field in fields:
            added = additions.get(module, {}).get(field["api_name"], [])
            values = field["pick_list_values"]
            for value in added:
                position = len(values) + 1
                value_id = picklist_value_id(field["id"], position)
                values.append(picklist_item(value, position, value_id))
        return fields


def stored_picklist_values(
    field: dict[str, Any], additions: PicklistAdditions, module: str
) -> set[str]:
    values = {str(item["actual_value"]) for item in field["pick_list_values"]}
    values.update(additions.get(module, {}).get(field["api_name"], []))
    return values


def writable(field: dict[str, Any]) -> bool:
    """Return whether an API update may set the field.

    `operation_type.api_update` and `read_only` decide; `field_read_only` is
    true on Owner, which the API still updates.
    """
    return bool(field["operation_type"]["api_update"]) and not field["read_only"]


@cache
def load_catalog() -> Catalog:
    """Return the packaged catalog of the sandbox org."""
    module_specs = load_data("modules.json")
    field_specs = {
        spec["api_name"]: load_data(f"fields_{spec['api_name']}.json")
        for spec in module_specs
        if spec["api_supported"]
    }
    return build_catalog(module_specs, field_specs)


def build_catalog(
    module_specs: list[dict[str, Any]],
    field_specs: Mapping[str, list[dict[str, Any]]],
) -> Catalog:
    """Expand compact module and field specs, in the shapes of `data/`, to a Catalog.

    `field_specs` maps the api_name of every module with `api_supported` true
    to its field specs. Tests and benchmarks use it to serve an org other than
    the packaged one, e.g. `SandboxServer(catalog=build_catalog(...))`.
    """
    module_ids = {spec["api_name"]: spec["id"] for spec in module_specs}
    modules = tuple(_expand_module(spec) for spec in module_specs)
    fields: dict[str, tuple[dict[str, Any], ...]] = {}
    for spec in module_specs:
        if not spec["api_supported"]:
            continue
        module_field_specs = field_specs[spec["api_name"]]
        expanded = [
            expand_field(
                field_spec,
                module_number=spec["sequence_number"],
                index=index,
                module_ids=module_ids,
            )
            for index, field_spec in enumerate(module_field_specs, start=1)
        ]
        _add_pipeline_maps(module_field_specs, expanded)
        fields[spec["api_name"]] = tuple(expanded)
    return Catalog(modules=modules, fields=fields)


def _add_pipeline_maps(
    specs: list[dict[str, Any]], fields: list[dict[str, Any]]
) -> None:
    """Give each Pipeline value the list of stages it allows, as Zoho does."""
    by_name = {field["api_name"]: field for field in fields}
    for spec, field in zip(specs, fields, strict=True):
        if "pipeline_of" not in spec:
            continue
        stages = by_name[spec["pipeline_of"]]["pick_list_values"]
        keys = ("display_value", "sequence_number", "actual_value", "id")
        maps = [
            {key: stage[key] for key in keys}
            | {
                "forecast_category": stage["forecast_category"],
                "forecast_type": stage["forecast_type"],
            }
            for stage in stages
        ]
        for value in field["pick_list_values"]:
            value["maps"] = copy.deepcopy(maps)


def _expand_module(spec: dict[str, Any]) -> dict[str, Any]:
    supported = bool(spec["api_supported"])
    module = {
        "api_name": spec["api_name"],
        "module_name": spec["module_name"],
        "id": spec["id"],
        "singular_label": spec["singular_label"],
        "plural_label": spec["plural_label"],
        "actual_singular_label": spec["singular_label"],
        "actual_plural_label": spec["plural_label"],
        "api_supported": supported,
        "generated_type": spec["generated_type"],
        "sequence_number": spec["sequence_number"],
        "creatable": supported,
        "editable": supported,
        "deletable": supported,
        "viewable": True,
        "convertable": False,
        "quick_create": supported,
        "recycle_bin_on_delete": supported,
        "presence_sub_menu": supported,
        "sub_menu_available": supported,
        "show_as_tab": True,
        "visibility": 1,
        "visible": True,
        "status": "visible",
        "access_type": "org_based",
        "has_more_profiles": False,
        "private_profile": None,
        "description": None,
        "web_link": None,
        "feeds_required": bool(spec.get("feeds_required", False)),
        "arguments": [],
        "parent_module": {},
        "business_card_field_limit": 5,
        "profiles": [dict(ADMINISTRATOR_PROFILE), dict(STANDARD_PROFILE)],
        "profile_count": 2,
        "modified_time": MODULE_MODIFIED_TIME if supported else None,
        "modified_by": (
            {"name": CURRENT_USER["full_name"], "id": CURRENT_USER["id"]}
            if supported
            else None
        ),
    }
    return module
