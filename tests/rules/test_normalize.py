"""Values are normalised to JSON shapes before either CEL engine reads them."""

from __future__ import annotations

import enum
import json
from collections import OrderedDict
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actionplane.errors import RuleError
from actionplane.rules.normalize import (
    MAX_EXACT_INT,
    format_datetime,
    normalize,
    record_values,
    utc_date,
)


class Stage(enum.Enum):
    WON = "Closed Won"


class Level(enum.IntEnum):
    HIGH = 3


class Labels(dict[str, Any]):
    pass


CASES = [
    ("none", None, None),
    ("bool", True, True),
    ("string", "Deals", "Deals"),
    ("int", 150000, 150000.0),
    ("negative-int", -3, -3.0),
    ("float", 1.5, 1.5),
    ("int-at-double-limit", MAX_EXACT_INT, float(MAX_EXACT_INT)),
    ("int-beyond-double", MAX_EXACT_INT + 1, str(MAX_EXACT_INT + 1)),
    ("int-beyond-int64", 2**64, str(2**64)),
    ("decimal-fraction", Decimal("10.25"), 10.25),
    ("decimal-integral", Decimal("100000"), 100000.0),
    ("enum", Stage.WON, "Closed Won"),
    ("int-enum", Level.HIGH, 3.0),
    ("datetime-utc", datetime(2025, 7, 1, 9, tzinfo=UTC), "2025-07-01T09:00:00Z"),
    (
        "datetime-offset",
        datetime(2025, 7, 1, 9, tzinfo=timezone(timedelta(hours=2))),
        "2025-07-01T09:00:00+02:00",
    ),
    ("datetime-naive", datetime(2025, 7, 1, 9, 30), "2025-07-01T09:30:00Z"),
    ("date", date(2025, 6, 30), "2025-06-30"),
    ("time", time(9, 15), "09:15:00"),
    ("tuple", (1, "a"), [1.0, "a"]),
    ("set", {3, 1, 2}, [1.0, 2.0, 3.0]),
    ("frozenset", frozenset({"b", "a"}), ["a", "b"]),
    ("ordered-dict", OrderedDict(a=1), {"a": 1.0}),
    ("dict-subclass", Labels(x=[1]), {"x": [1.0]}),
    ("int-keys", {1: "a", Stage.WON: "b"}, {"1": "a", "Closed Won": "b"}),
    (
        "nested",
        {"changes": {"Amount": {"after": Decimal("1.5")}}},
        {"changes": {"Amount": {"after": 1.5}}},
    ),
]


@pytest.mark.parametrize(
    ("value", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_normalize_table(value: Any, expected: Any) -> None:
    result = normalize(value)
    assert result == expected
    assert type(result) is type(expected)


def test_dict_subclass_becomes_dict() -> None:
    assert type(normalize(OrderedDict(a={"b": Labels()}))["a"]["b"]) is dict


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"changes": {"Stage": {"after": b"x"}}}, "request.changes.Stage.after"),
        ({"tags": [1, object()]}, "request.tags[1]"),
        ({(1, 2): "tuple key"}, "request key (1, 2)"),
    ],
    ids=["bytes", "object-in-list", "tuple-key"],
)
def test_unsupported_value_names_its_path(value: Any, path: str) -> None:
    with pytest.raises(RuleError) as caught:
        normalize(value, "request")
    assert caught.value.message.startswith(path)
    assert "pass JSON values" in caught.value.message


def test_record_values_drop_dollar_keys() -> None:
    record = {"Stage": "Won", "$approval": {"x": 1}, "Owner": {"$nested": 1}}
    assert record_values(record) == {"Stage": "Won", "Owner": {"$nested": 1.0}}
    assert record_values(None) == {}


def test_utc_date_and_format() -> None:
    late = datetime(2025, 7, 1, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    assert utc_date(late) == "2025-06-30"
    assert format_datetime(late) == "2025-07-01T00:30:00+02:00"


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children) | st.tuples(children) | st.dictionaries(st.text(), children)
    ),
    max_leaves=20,
)


def plain(value: Any) -> bool:
    if value is None or type(value) in (bool, str, float):
        return True
    if type(value) is list:
        return all(plain(item) for item in value)
    if type(value) is dict:
        return all(type(k) is str and plain(v) for k, v in value.items())
    return False


@given(JSON)
def test_normalize_gives_plain_json(value: Any) -> None:
    result = normalize(value)
    assert plain(result)
    assert normalize(result) == result
    json.dumps(result)
