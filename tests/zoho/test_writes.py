from __future__ import annotations

from typing import Any

import pytest

from actionplane.zoho.writes import (
    WriteOutcome,
    compare_read_back,
    strip_dollar_keys,
    value_matches,
)

BASELINE = "2025-03-01T10:00:00+00:00"


@pytest.mark.parametrize(
    ("sent", "stored", "expected"),
    [
        ("Closed Won", "Closed Won", True),
        ("Closed Won", "Closed Lost", False),
        (1000, 1000.0, True),
        (1000, "1000", True),
        (0.1 + 0.2, 0.3, True),
        (1000, 1001, False),
        (1000, None, False),
        (True, True, True),
        (True, 1, False),
        (1, True, False),
        (None, None, True),
        (None, "", True),
        (None, "x", False),
        ({"id": "42"}, {"id": "42", "name": "Northwind"}, True),
        ({"id": "42"}, {"id": "43", "name": "Other"}, False),
        ({"id": "42"}, None, False),
        ("2025-03-01T10:00:00+00:00", "2025-03-01T15:30:00+05:30", True),
        ("2025-03-01T10:00:00Z", "2025-03-01T15:30:00+05:30", True),
        ("2025-03-01T10:00:00+00:00", "2025-03-01T10:00:00+05:30", False),
        ("2025-03-01", "2025-03-01", True),
        (["a", "b"], ["b", "a"], True),
        (["a", "b"], ["a"], False),
        ([{"id": "1"}], [{"id": "1", "name": "One"}], True),
        ({"x": 1}, {"x": 1}, True),
    ],
    ids=[
        "text",
        "text-differs",
        "int-float",
        "int-string",
        "float-rounding",
        "number-differs",
        "number-missing",
        "bool",
        "bool-vs-int",
        "int-vs-bool",
        "null",
        "null-empty",
        "null-differs",
        "lookup",
        "lookup-differs",
        "lookup-missing",
        "datetime-offset",
        "datetime-z",
        "datetime-differs",
        "date",
        "multiselect-order",
        "multiselect-differs",
        "lookup-list",
        "plain-dict",
    ],
)
def test_value_matches(sent: Any, stored: Any, expected: bool) -> None:
    assert value_matches(sent, stored) is expected


def test_appended_values_need_only_be_present() -> None:
    assert value_matches(["c"], ["a", "b", "c"], append=True)
    assert not value_matches(["d"], ["a", "b", "c"], append=True)


@pytest.mark.parametrize(
    ("record", "baseline", "outcome"),
    [
        (
            {"Stage": "Won", "Modified_Time": "2025-03-02T00:00:00+00:00"},
            BASELINE,
            WriteOutcome.LANDED,
        ),
        (
            {"Stage": "Lost", "Modified_Time": BASELINE},
            BASELINE,
            WriteOutcome.NOT_LANDED,
        ),
        (
            {"Stage": "Lost", "Modified_Time": "2025-03-02T00:00:00+00:00"},
            BASELINE,
            WriteOutcome.UNKNOWN,
        ),
        ({"Stage": "Lost", "Modified_Time": "garbage"}, BASELINE, WriteOutcome.UNKNOWN),
        (
            {"Stage": "Lost", "Modified_Time": "2025-03-02T00:00:00+00:00"},
            None,
            WriteOutcome.NOT_LANDED,
        ),
        ({"Modified_Time": BASELINE}, BASELINE, WriteOutcome.UNKNOWN),
    ],
    ids=[
        "landed",
        "not-landed",
        "changed-by-others",
        "unreadable-time",
        "no-baseline",
        "field-missing",
    ],
)
def test_compare_read_back(
    record: dict[str, Any], baseline: str | None, outcome: WriteOutcome
) -> None:
    sent = {"id": "42", "Stage": "Won", "$append_values": {}}

    assert compare_read_back(sent, record, baseline) is outcome


def test_strip_dollar_keys_at_every_level() -> None:
    record = {
        "$state": "save",
        "A": 1,
        "Sub": [{"$in_merge": False, "B": 2}],
        "L": {"$x": 1, "id": "9"},
    }

    assert strip_dollar_keys(record) == {"A": 1, "Sub": [{"B": 2}], "L": {"id": "9"}}
