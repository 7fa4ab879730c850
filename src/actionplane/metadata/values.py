"""Values checked and parsed by a field's Zoho data type.

Zoho stores dates as `yyyy-MM-dd` strings, date-times as RFC 3339 strings with
an offset, currency and decimals as JSON numbers, and picklists by their stored
`actual_value`, which can differ from the label users see.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from actionplane.metadata.snapshot import (
    DATE_TYPES,
    DATETIME_TYPES,
    NUMBER_TYPES,
    PICKLIST_TYPES,
)

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
INTEGER_TYPES = {"integer", "bigint"}
TEXT_TYPES = {"text", "textarea", "email", "phone", "website"}


def picklist_values(entry: dict[str, Any]) -> list[str]:
    return [str(item["value"]) for item in entry.get("picklist") or []]


def picklist_value_for_label(entry: dict[str, Any], label: str) -> str | None:
    for item in entry.get("picklist") or []:
        if item.get("label") == label and item.get("value") != label:
            return str(item["value"])
    return None


def value_problem(entry: dict[str, Any], value: Any) -> str | None:
    """Return why `value` cannot be stored in the field, or None when it fits.

    `None` always fits: it clears the field.
    """
    if value is None:
        return None
    data_type = entry.get("dataType", "text")
    label = f"{entry.get('apiName')} ({data_type})"
    if data_type in NUMBER_TYPES:
        return _number_problem(entry, value, label)
    if data_type in DATE_TYPES:
        if not isinstance(value, str) or not _valid_date(value):
            return f"{label} needs a date written as yyyy-MM-dd, e.g. 2025-06-30; got {value!r}"
        return None
    if data_type in DATETIME_TYPES:
        if not isinstance(value, str) or not _valid_datetime(value):
            return f"{label} needs an RFC 3339 date-time with offset, e.g. 2025-06-30T17:00:00+00:00; got {value!r}"
        return None
    if data_type == "boolean":
        return (
            None
            if isinstance(value, bool)
            else f"{label} needs true or false; got {value!r}"
        )
    if data_type in PICKLIST_TYPES:
        return _picklist_problem(entry, value, label)
    if data_type in TEXT_TYPES:
        return _text_problem(entry, value, label)
    return None


def _number_problem(entry: dict[str, Any], value: Any, label: str) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{label} needs a number, not {type(value).__name__} {value!r}"
    if (
        entry.get("dataType") in INTEGER_TYPES
        and isinstance(value, float)
        and not value.is_integer()
    ):
        return f"{label} needs a whole number; got {value!r}"
    return None


def _picklist_problem(entry: dict[str, Any], value: Any, label: str) -> str | None:
    values = picklist_values(entry)
    candidates = value if isinstance(value, list) else [value]
    for candidate in candidates:
        if not isinstance(candidate, str):
            return f"{label} needs a picklist value (a string); got {candidate!r}"
        if candidate in values:
            continue
        stored = picklist_value_for_label(entry, candidate)
        if stored is not None:
            return f"{candidate!r} is the label shown in Zoho; its stored value is {stored!r}"
        return f"{candidate!r} is not a value of {label}; stored values: {', '.join(values)}"
    return None


def _text_problem(entry: dict[str, Any], value: Any, label: str) -> str | None:
    if not isinstance(value, str):
        return f"{label} needs a string; got {value!r}"
    length = entry.get("length")
    if isinstance(length, int) and len(value) > length:
        return f"{label} holds at most {length} characters; the value has {len(value)}"
    return None


def _valid_date(text: str) -> bool:
    if not _DATE.fullmatch(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _valid_datetime(text: str) -> bool:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return parsed.tzinfo is not None and "T" in text


_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+", re.ASCII)
_NUMBER_TEXT = re.compile(
    r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII
)
_SHOWN_CHARS = 40


def _shown(text: str) -> str:
    """Quote `text` for a message, cut to a readable length."""
    if len(text) <= _SHOWN_CHARS:
        return repr(text)
    return f"{text[:_SHOWN_CHARS]!r}... ({len(text):,} characters)"


def parse_cli_value(entry: dict[str, Any] | None, text: str) -> Any:
    """Parse `--set Field=TEXT` by the field's type; `null` clears the field.

    Without metadata the text is kept as a string.
    """
    if text == "null":
        return None
    if entry is None:
        return text
    data_type = entry.get("dataType", "text")
    # Python's int() and float() also take `1_000`, spaces and non-ASCII digits;
    # Zoho takes none of them, so the syntax is checked first.
    if data_type in INTEGER_TYPES:
        if not _INTEGER_TEXT.fullmatch(text):
            raise ValueError(
                f"{entry['apiName']} needs a whole number such as 42; got {_shown(text)}"
            )
        return int(text)
    if data_type in NUMBER_TYPES:
        if not _NUMBER_TEXT.fullmatch(text):
            raise ValueError(
                f"{entry['apiName']} needs a number such as 1500.50; got {_shown(text)}"
            )
        return float(text) if any(c in text for c in ".eE") else int(text)
    if data_type == "boolean":
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise ValueError(f"{entry['apiName']} needs true or false; got {text!r}")
    if data_type == "multiselectpicklist":
        return [part.strip() for part in text.split(";") if part.strip()]
    return text
