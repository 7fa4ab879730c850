"""Check one record of a write against the module's field metadata, as Zoho does.

Each problem becomes one per-record error in the response's `data` array, with
`details` naming `api_name` and `json_path` (`$.data[i].Field`) plus
`expected_data_type` for a wrong type or `maximum_length` for a value that is
too long. Only the first problem of a record is reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from actionplane.zoho.sandbox import seed
from actionplane.zoho.sandbox.catalog import Catalog, stored_picklist_values, writable
from actionplane.zoho.sandbox.clock import format_time, parse_time
from actionplane.zoho.sandbox.http_types import record_error
from actionplane.zoho.sandbox.options import SandboxOptions
from actionplane.zoho.sandbox.present import user_by_id
from actionplane.zoho.sandbox.store import State

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2}|Z)")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
RECORD_ID = re.compile(r"\d{1,19}")
TEXT_TYPES = {"text", "textarea", "email", "phone", "website"}
DECIMAL_TYPES = {"currency", "double", "percent"}
# Zoho's placeholder entry of optional picklists; storing it leaves the field empty.
NONE_PICKLIST_VALUE = "-None-"


@dataclass
class WriteContext:
    catalog: Catalog
    state: State
    module: str
    options: SandboxOptions


@dataclass
class ValidatedItem:
    changes: dict[str, Any] = field(default_factory=dict)
    # (field api_name, value) pairs that the write adds to picklists.
    new_picklist_values: list[tuple[str, str]] = field(default_factory=list)


class InvalidValue(Exception):
    def __init__(
        self, details: dict[str, Any] | None = None, message: str = "invalid data"
    ):
        super().__init__(message)
        self.details = details or {}
        self.message = message


def validate_item(
    context: WriteContext, item: dict[str, Any], index: int, record_id: str
) -> ValidatedItem | dict[str, Any]:
    """Return the changes an item makes, or the per-record error it earns."""
    result = ValidatedItem()
    for name, value in item.items():
        if name == "id" or name.startswith("$"):
            continue  # `$` keys are read-only markers that clients may echo back
        location = {"api_name": name, "json_path": f"$.data[{index}].{name}"}
        meta = context.catalog.field(context.module, name)
        if meta is None:
            if context.options.unknown_fields == "ignore":
                continue
            # NOTE: Zoho's handling of unknown field names is not documented;
            # this wording is the sandbox's own.
            return record_error(
                "INVALID_DATA",
                location,
                message="the field name given seems to be invalid",
            )
        if not writable(meta):
            return record_error(
                "INVALID_DATA", location, message="the field is read only"
            )
        if value is None:
            # Every record has an owner, so Owner cannot be cleared either.
            if meta["system_mandatory"] or meta["data_type"] == "ownerlookup":
                return record_error(
                    "MANDATORY_NOT_FOUND", location, message="required field not found"
                )
            result.changes[name] = None
            continue
        try:
            result.changes[name] = _check_value(context, meta, value, result)
        except InvalidValue as problem:
            return record_error(
                "INVALID_DATA", location | problem.details, message=problem.message
            )
        duplicate = _duplicate(context, meta, result.changes[name], record_id)
        if duplicate is not None:
            details = location | {"duplicate_record": duplicate}
            return record_error("DUPLICATE_DATA", details, message="duplicate data")
    return result


def value_problem(name: str) -> InvalidValue:
    return InvalidValue(message=f"The field value given for {name} is invalid")


def _check_value(
    context: WriteContext, meta: dict[str, Any], value: Any, result: ValidatedItem
) -> Any:
    data_type = meta["data_type"]
    if data_type == "picklist":
        return _picklist(context, meta, value, result)
    if data_type == "lookup":
        return _lookup(context, meta, value)
    checker = CHECKERS.get(data_type)
    if checker is None:
        raise InvalidValue({"expected_data_type": data_type})
    return checker(meta, value)


def _text(meta: dict[str, Any], value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidValue({"expected_data_type": meta["data_type"]})
    if len(value) > meta["length"]:
        raise InvalidValue({"maximum_length": meta["length"]})
    if meta["data_type"] == "email" and value and not EMAIL.fullmatch(value):
        raise value_problem(meta["api_name"])
    return value


def _integer(meta: dict[str, Any], value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue({"expected_data_type": "integer"})
    if len(str(abs(value))) > meta["length"]:
        raise InvalidValue({"maximum_length": meta["length"]})
    return value


def _bigint(meta: dict[str, Any], value: Any) -> str:
    # Zoho sends bigint values as strings and accepts numbers or digit strings.
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidValue({"expected_data_type": "bigint"})
    text = str(value)
    if not re.fullmatch(r"-?\d+", text):
        raise InvalidValue({"expected_data_type": "bigint"})
    if len(text.lstrip("-")) > meta["length"]:
        raise InvalidValue({"maximum_length": meta["length"]})
    return text


def _decimal(meta: dict[str, Any], value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValue({"expected_data_type": meta["data_type"]})
    # `length` counts the digits before the decimal point.
    if len(str(int(abs(value)))) > meta["length"]:
        raise InvalidValue({"maximum_length": meta["length"]})
    return float(value)


def _date(meta: dict[str, Any], value: Any) -> str:
    if not isinstance(value, str) or not DATE.fullmatch(value):
        raise InvalidValue({"expected_data_type": "date"})
    try:
        date.fromisoformat(value)
    except ValueError:
        raise value_problem(meta["api_name"]) from None
    return value


def _datetime(meta: dict[str, Any], value: Any) -> str:
    if not isinstance(value, str) or not DATETIME.fullmatch(value):
        raise InvalidValue({"expected_data_type": "datetime"})
    try:
        moment = parse_time(value.replace("Z", "+00:00"))
    except ValueError:
        raise value_problem(meta["api_name"]) from None
    return format_time(moment)  # Zoho stores it in the user's time zone


def _boolean(meta: dict[str, Any], value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue({"expected_data_type": "boolean"})
    return value


def _owner(meta: dict[str, Any], value: Any) -> dict[str, str]:
    user_id = _reference_id(value, meta["data_type"])
    user = user_by_id(user_id)
    if user is None or user["status"] != "active":
        raise value_problem(meta["api_name"])
    return {"id": user_id}


def _lookup(context: WriteContext, meta: dict[str, Any], value: Any) -> dict[str, str]:
    record_id = _reference_id(value, "lookup")
    target = meta["lookup"]["module"]["api_name"]
    if record_id not in context.state["records"].get(target, {}):
        raise value_problem(meta["api_name"])
    return {"id": record_id}


def _picklist(
    context: WriteContext, meta: dict[str, Any], value: Any, result: ValidatedItem
) -> str | None:
    if not isinstance(value, str):
        raise InvalidValue({"expected_data_type": "picklist"})
    if len(value) > meta["length"]:
        raise InvalidValue({"maximum_length": meta["length"]})
    additions = context.state["picklist_additions"]
    allowed = stored_picklist_values(meta, additions, context.module)
    if value == NONE_PICKLIST_VALUE and value in allowed:
        return None
    if value in allowed:
        return value
    if not context.options.accept_new_picklist_values:
        raise value_problem(meta["api_name"])
    result.new_picklist_values.append((meta["api_name"], value))
    return value


def _reference_id(value: Any, data_type: str) -> str:
    """Return the id of a `{"id": ...}` lookup value."""
    if not isinstance(value, dict) or "id" not in value:
        raise InvalidValue({"expected_data_type": data_type})
    record_id = value["id"]
    if isinstance(record_id, bool) or not isinstance(record_id, int | str):
        raise InvalidValue({"expected_data_type": data_type})
    if not RECORD_ID.fullmatch(str(record_id)):
        raise InvalidValue({"expected_data_type": data_type})
    return str(record_id)


def _duplicate(
    context: WriteContext, meta: dict[str, Any], value: Any, record_id: str
) -> dict[str, Any] | None:
    """Return the record that already contains `value` in a unique field, if any."""
    if not meta["unique"] or not isinstance(value, str):
        return None
    name = meta["api_name"]
    for other_id, other in context.state["records"][context.module].items():
        stored = other.get(name)
        if (
            other_id != record_id
            and isinstance(stored, str)
            and stored.lower() == value.lower()
        ):
            module = context.catalog.module(context.module) or {}
            owner = other.get("Owner") or {"id": seed.CURRENT_USER_ID}
            return {
                "id": other_id,
                "module": {"api_name": context.module, "id": module.get("id")},
                "Owner": {"id": owner["id"]},
            }
    return None


CHECKERS: dict[str, Callable[[dict[str, Any], Any], Any]] = {
    **dict.fromkeys(TEXT_TYPES, _text),
    **dict.fromkeys(DECIMAL_TYPES, _decimal),
    "integer": _integer,
    "bigint": _bigint,
    "date": _date,
    "datetime": _datetime,
    "boolean": _boolean,
    "ownerlookup": _owner,
}
