"""Turn request, record and connector values into the JSON shapes CEL expects.

Both engines read the same normalised data, so a rule means the same on each:

- Mappings (dict subclasses included) become `dict` with string keys, as in JSON.
- Lists, tuples, sets and frozensets become `list`; sets are sorted when their
  items compare, so evaluation does not depend on hash order.
- Every number becomes a double, because CEL maps JSON numbers to double. A rule
  then behaves the same whether a client serialised `150000` or `150000.0`, and
  `request.changes.Amount.before * 0.5` works when the client sent an int. Integers whose
  magnitude exceeds 2**53 cannot be held exactly by a double, so they become
  decimal strings: record IDs keep every digit, and integers outside int64 no
  longer break the whole evaluation on cel-python.
- `Decimal` becomes a double too (integral or not), for the same reason. Compare
  currency values with a tolerance or after rounding if cents matter.
- An `Enum` becomes its value, normalised again.
- `datetime` becomes an RFC 3339 string that `timestamp()` accepts; a naive
  datetime is taken as UTC. `date` becomes "yyyy-MM-dd" and `time` "HH:MM:SS".
- `None`, `bool` and `str` pass through. Anything else raises RuleError.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from actionplane.errors import RuleError

# The largest integer magnitude a double represents exactly.
MAX_EXACT_INT = 2**53


def normalize(value: Any, name: str = "value") -> Any:
    """Return `value` as plain JSON data: dict, list, str, float, bool or None.

    `name` is the variable the value belongs to; errors name the path inside it.
    """
    try:
        return _normalize(value)
    except _UnsupportedValueError:
        path, bad = _find_unsupported(value, name)
        raise RuleError(
            f"{path} has type {type(bad).__name__}, which CEL rules cannot read; "
            "pass JSON values (mapping, list, string, number, boolean or null)"
        ) from None


class _UnsupportedValueError(Exception):
    pass


def _normalize(value: Any) -> Any:
    kind = type(value)
    if value is None or kind is str or kind is bool or kind is float:
        return value
    if kind is dict:
        return _normalize_dict(value)
    if kind is list:
        return _normalize_list(value)
    if kind is int:
        return _number(value)
    return _normalize_other(value)


def _normalize_dict(value: dict[Any, Any]) -> dict[str, Any]:
    # Leaves are handled inline because this runs for every request, and most
    # values are strings, floats, booleans or None.
    result = {}
    for key, item in value.items():
        if type(key) is not str:
            key = _key(key)
        kind = type(item)
        if item is None or kind is str or kind is float or kind is bool:
            result[key] = item
        elif kind is dict:
            result[key] = _normalize_dict(item)
        elif kind is list:
            result[key] = _normalize_list(item)
        else:
            result[key] = _normalize(item)
    return result


def _normalize_list(value: list[Any]) -> list[Any]:
    result = []
    for item in value:
        kind = type(item)
        if item is None or kind is str or kind is float or kind is bool:
            result.append(item)
        else:
            result.append(_normalize(item))
    return result


def _number(value: int) -> float | str:
    if -MAX_EXACT_INT <= value <= MAX_EXACT_INT:
        return float(value)
    return str(value)


def _key(key: Any) -> str:
    if isinstance(key, enum.Enum):
        key = key.value
    if isinstance(key, (str, int, float, bool)):
        return str(key)
    raise _UnsupportedValueError


def _normalize_other(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return _normalize(value.value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return _number(int(value))
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return _normalize(dict(value))
    if isinstance(value, (list, tuple)):
        return _normalize(list(value))
    if isinstance(value, (set, frozenset)):
        return _normalize(_sorted_if_possible(value))
    raise _UnsupportedValueError


def _find_unsupported(value: Any, path: str) -> tuple[str, Any]:
    """Return the path and value of the first item `_normalize` rejects."""
    if isinstance(value, enum.Enum):
        return _find_unsupported(value.value, path)
    if isinstance(value, Mapping):
        for key, item in value.items():
            try:
                _key(key)
            except _UnsupportedValueError:
                return f"{path} key {key!r}", key
            found = _find_unsupported(item, f"{path}.{key}")
            if found[0]:
                return found
        return "", None
    if isinstance(value, (list, tuple, set, frozenset)):
        for i, item in enumerate(value):
            found = _find_unsupported(item, f"{path}[{i}]")
            if found[0]:
                return found
        return "", None
    try:
        _normalize(value)
    except _UnsupportedValueError:
        return path, value
    return "", None


def _sorted_if_possible(items: set[Any] | frozenset[Any]) -> list[Any]:
    try:
        return sorted(items)
    except TypeError:
        return list(items)


def as_utc(moment: datetime) -> datetime:
    """Return `moment` in UTC; a naive datetime is taken as UTC already."""
    if moment.tzinfo is UTC:
        return moment
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_datetime(moment: datetime) -> str:
    """Format as RFC 3339, keeping an aware datetime's offset."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def utc_date(moment: datetime) -> str:
    """Return the "yyyy-MM-dd" UTC date of `moment`, the value of `today`."""
    return as_utc(moment).date().isoformat()


def record_values(record: Mapping[str, Any] | None) -> dict[str, Any]:
    """Normalise a CRM record for the `record` variable, without `$` keys.

    Zoho puts metadata such as `$approval` and `$editable` beside the field
    values; only the top level is filtered, where Zoho puts them.
    """
    if not record:
        return {}
    values = {k: v for k, v in record.items() if not str(k).startswith("$")}
    result: dict[str, Any] = normalize(values, "record")
    return result
