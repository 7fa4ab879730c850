"""Expand the compact field specs in `data/fields_*.json` into Zoho's field shape.

A spec names only what differs between fields: type, length, access,
picklist, lookup, formula and auto-number. This module fills in the other
attributes, about 60 in all, that `GET /crm/v8/settings/fields` returns for
every field. Access kinds map to
Zoho's three write flags as follows:

| access    | read_only | field_read_only | operation_type        | example        |
|-----------|-----------|-----------------|-----------------------|----------------|
| editable  | false     | false           | all true              | Amount         |
| owner     | false     | true            | all true              | Owner          |
| system    | false     | false           | all false             | Modified_Time  |
| derived   | false     | true            | all false             | Last_Activity_Time |
| read_only | true      | true            | all false             | Expected_Revenue |
| territory | true      | true            | only web_update       | Territory      |

An API write may change a field only when `operation_type.api_update` is true
and `read_only` is false; `field_read_only` alone does not block it (Owner).
"""

from __future__ import annotations

from typing import Any

from actionplane.zoho.sandbox.seed import ADMINISTRATOR_PROFILE, STANDARD_PROFILE

ID_PREFIX = "3652397"

_ALL = ("web_update", "api_create", "web_create", "api_update")
ACCESS_FLAGS: dict[str, tuple[bool, bool, frozenset[str]]] = {
    "editable": (False, False, frozenset(_ALL)),
    "owner": (False, True, frozenset(_ALL)),
    "system": (False, False, frozenset()),
    "derived": (False, True, frozenset()),
    "read_only": (True, True, frozenset()),
    "territory": (True, True, frozenset({"web_update"})),
}

JSON_TYPES = {
    "integer": "integer",
    "currency": "double",
    "double": "double",
    "percent": "double",
    "boolean": "boolean",
    "lookup": "jsonobject",
    "ownerlookup": "jsonobject",
    "multiselectpicklist": "jsonarray",
    "territories": "jsonarray",
}
UI_TYPES = {
    "ownerlookup": 8,
    "currency": 36,
    "text": 1,
    "date": 24,
    "datetime": 333,
    "lookup": 133,
    "picklist": 2,
    "integer": 32,
    "textarea": 3,
    "territories": 999,
    "boolean": 301,
    "bigint": 52,
    "phone": 33,
    "website": 21,
    "profileimage": 66,
    "email": 25,
    "autonumber": 28,
    "formula": 45,
}
FORECAST_CATEGORIES = {
    "Open": {"name": "Pipeline", "id": f"{ID_PREFIX}000000300190"},
    "Closed Won": {"name": "Closed", "id": f"{ID_PREFIX}000000300191"},
    "Closed Lost": {"name": "Omitted", "id": f"{ID_PREFIX}000000300192"},
}
_BASE_PROPERTIES = ["mandatory", "removal", "private_field", "tooltip", "hipaa_field"]
_EXTRA_PROPERTIES = {
    "picklist": ["history_tracking", "default_value", "option_add", "color_code"],
    "currency": ["max_length_digits", "rounding_type", "maximum_decimal"],
    "text": ["max_length", "default_value"],
}


def field_id(module_number: int, index: int) -> str:
    return f"{ID_PREFIX}0000{module_number:03d}{index:05d}"


def picklist_value_id(own_field_id: str, position: int) -> str:
    """Return the id of a field's picklist value at `position` (1-based)."""
    module_number = own_field_id[-8:-5]
    index = int(own_field_id[-5:])
    return f"{ID_PREFIX}0001{module_number}{index:03d}{position:02d}"


def expand_field(
    spec: dict[str, Any],
    *,
    module_number: int,
    index: int,
    module_ids: dict[str, str],
) -> dict[str, Any]:
    """Return the full Zoho field for one compact spec."""
    data_type = spec["type"]
    access = spec.get("access", "editable")
    read_only, field_read_only, operations = ACCESS_FLAGS[access]
    writable = "api_update" in operations and not read_only
    own_id = field_id(module_number, index)

    field: dict[str, Any] = {
        "api_name": spec["api_name"],
        "id": own_id,
        "field_label": spec["label"],
        "display_label": spec["label"],
        "data_type": data_type,
        "json_type": _json_type(spec),
        "length": spec["length"],
        "decimal_place": spec.get("decimal_place"),
        "ui_type": UI_TYPES.get(data_type, 1),
        "display_type": -1,
        "type": "used",
        "read_only": read_only,
        "field_read_only": field_read_only,
        "operation_type": {name: name in operations for name in _ALL},
        "system_mandatory": bool(spec.get("mandatory")),
        "custom_field": bool(spec.get("custom")),
        "created_source": "default",
        "created_time": None,
        "modified_time": None,
        "visible": True,
        "virtual_field": False,
        "display_field": bool(spec.get("display_field")),
        "view_type": _view_type(writable, bool(spec.get("mandatory"))),
        "profiles": _profiles(writable),
        "customizable_properties": _customizable_properties(access, data_type),
        "layout_associations": [
            {
                "api_name": "Standard__s",
                "name": "Standard",
                "id": f"{ID_PREFIX}000000091055",
            }
        ],
    }
    field.update(_flags(access, data_type, writable))
    field.update(_sub_objects(spec, module_ids))
    field["pick_list_values"] = [
        picklist_item(item, position, picklist_value_id(own_id, position))
        for position, item in enumerate(spec.get("picklist", []), start=1)
    ]
    return field


def picklist_item(
    item: str | dict[str, Any], position: int, value_id: str
) -> dict[str, Any]:
    """Return one `pick_list_values` entry; a plain string is its own stored value."""
    if isinstance(item, str):
        item = {"display": item}
    actual = item.get("actual", item["display"])
    entry: dict[str, Any] = {
        "display_value": item["display"],
        "sequence_number": position,
        "reference_value": actual,
        "colour_code": None,
        "actual_value": actual,
        "id": value_id,
        "type": "used",
    }
    if "forecast_type" in item:
        entry["probability"] = item["probability"]
        entry["forecast_type"] = item["forecast_type"]
        entry["forecast_category"] = dict(FORECAST_CATEGORIES[item["forecast_type"]])
    return entry


def _json_type(spec: dict[str, Any]) -> str:
    if "json_type" in spec:
        return str(spec["json_type"])
    if spec["type"] == "formula":
        return JSON_TYPES.get(spec["formula"]["return_type"], "string")
    return JSON_TYPES.get(spec["type"], "string")


def _view_type(writable: bool, mandatory: bool) -> dict[str, bool]:
    return {
        "view": True,
        "edit": writable,
        "quick_create": writable and mandatory,
        "create": writable,
    }


def _profiles(writable: bool) -> list[dict[str, str]]:
    permission = "read_write" if writable else "read_only"
    return [
        {"permission_type": permission, **ADMINISTRATOR_PROFILE},
        {"permission_type": permission, **STANDARD_PROFILE},
    ]


def _customizable_properties(access: str, data_type: str) -> list[str]:
    if access == "owner":
        return ["field_of_lookup"]
    if access != "editable":
        return []
    return _BASE_PROPERTIES + _EXTRA_PROPERTIES.get(data_type, [])


def _flags(access: str, data_type: str, writable: bool) -> dict[str, Any]:
    listable = data_type not in {"profileimage", "territories"}
    return {
        "webhook": access != "read_only",
        "searchable": listable,
        "filterable": listable,
        "sortable": listable and data_type != "textarea",
        "mass_update": writable and data_type not in {"ownerlookup", "textarea"},
        "businesscard_supported": writable and data_type != "textarea",
        "blueprint_supported": data_type == "picklist",
        "separator": False,
        "enable_colour_code": False,
        "colour_code_enabled_by_system": False,
        "pick_list_values_sorted_lexically": False,
        "hipaa_compliance_enabled": False,
    }


def _sub_objects(spec: dict[str, Any], module_ids: dict[str, str]) -> dict[str, Any]:
    data_type = spec["type"]
    objects: dict[str, Any] = {
        "lookup": {},
        "currency": {},
        "formula": dict(spec.get("formula", {})),
        "auto_number": _auto_number(spec),
        "unique": {"case_sensitive": False} if spec.get("unique") else {},
        "multi_module_lookup": {},
        "multiselectlookup": {},
        "rollup_summary": {},
        "associated_module": None,
        "association_details": None,
        "tooltip": None,
        "external": None,
        "crypt": None,
        "hipaa_compliance": None,
        "global_picklist": None,
        "history_tracking": None,
        "email_parser": {
            "fields_update_supported": data_type != "ownerlookup",
            "record_operations_supported": data_type != "ownerlookup",
        },
        "convert_mapping": {"Contacts": None, "Deals": None, "Accounts": None},
    }
    if "lookup" in spec:
        target = spec["lookup"]
        objects["lookup"] = {
            "display_label": None,
            "revalidate_filter_during_edit": False,
            "api_name": None,
            "module": {"api_name": target, "crypt": False, "id": module_ids[target]},
            "id": None,
            "query_details": {},
        }
    if data_type == "currency":
        objects["currency"] = {
            "rounding_option": "normal",
            "precision": spec.get("decimal_place", 2),
        }
    if "textarea" in spec:
        objects["textarea"] = {"type": spec["textarea"]}
    return objects


def _auto_number(spec: dict[str, Any]) -> dict[str, Any]:
    if "auto_number" not in spec:
        return {}
    auto_number = dict(spec["auto_number"])
    auto_number.setdefault("starting_number_length", 0)
    return auto_number
