from __future__ import annotations

import json

import pytest

from actionplane.errors import ConfigError
from actionplane.metadata.diff import diff_snapshots
from actionplane.metadata.snapshot import (
    Snapshot,
    field_entry,
    load_snapshot,
    module_entry,
    write_snapshot,
)
from actionplane.metadata.values import parse_cli_value, value_problem


def zoho_field(
    api_name,
    data_type="text",
    *,
    api_update=True,
    read_only=False,
    field_read_only=False,
    custom=False,
    length=120,
    picklist=None,
    lookup=None,
):
    return {
        "api_name": api_name,
        "field_label": api_name.replace("_", " "),
        "data_type": data_type,
        "json_type": "string",
        "length": length,
        "decimal_place": None,
        "read_only": read_only,
        "field_read_only": field_read_only,
        "custom_field": custom,
        "operation_type": {"api_update": api_update, "api_create": api_update},
        "pick_list_values": [
            {"display_value": label, "actual_value": value, "type": "used"}
            for label, value in (picklist or [])
        ],
        "lookup": {"module": {"api_name": lookup, "id": "1"}} if lookup else {},
    }


STAGES = [
    ("Qualification", "Qualification"),
    ("Identify Decision Makers", "Id. Decision Makers"),
    ("Closed Won", "Closed Won"),
]


def deals_snapshot(**overrides) -> Snapshot:
    fields = [
        zoho_field("Amount", "currency", length=16),
        zoho_field("Stage", "picklist", picklist=STAGES),
        zoho_field("Closing_Date", "date"),
        zoho_field("Next_Step", "text", length=100),
        zoho_field("Expected_Revenue", "formula", api_update=False, read_only=True),
        zoho_field("Created_Time", "datetime", api_update=False, field_read_only=True),
        zoho_field("Account_Name", "lookup", lookup="Accounts"),
    ]
    module = {
        "api_name": "Deals",
        "plural_label": "Deals",
        "api_supported": True,
        "editable": True,
    }
    values = dict(
        connector="zoho-sandbox",
        source_host="http://127.0.0.1:1",
        api_version="v8",
        synced_at="2026-01-01T00:00:00Z",
        modules={"Deals": module_entry(module, fields)},
    )
    values.update(overrides)
    return Snapshot(**values)


def test_writability_follows_api_update_and_read_only():
    snap = deals_snapshot()
    assert snap.field("Deals", "Amount")["writable"] is True
    formula = snap.field("Deals", "Expected_Revenue")
    assert formula["writable"] is False
    assert "formula" in formula["notWritableReason"]
    assert "system field" in snap.field("Deals", "Created_Time")["notWritableReason"]


def test_owner_like_field_read_only_flag_does_not_block():
    entry = field_entry(zoho_field("Owner", "ownerlookup", field_read_only=True))
    assert entry["writable"] is True


def test_picklist_keeps_stored_values_and_labels():
    stage = deals_snapshot().field("Deals", "Stage")
    assert {
        "value": "Id. Decision Makers",
        "label": "Identify Decision Makers",
    } in stage["picklist"]


def test_lookup_target_is_kept():
    assert deals_snapshot().field("Deals", "Account_Name")["lookup"] == "Accounts"


def test_snapshot_json_is_stable_and_round_trips(tmp_path):
    snap = deals_snapshot()
    path = write_snapshot(tmp_path, snap)
    first = path.read_text()
    write_snapshot(tmp_path, deals_snapshot())
    assert path.read_text() == first
    loaded = load_snapshot(tmp_path, "zoho-sandbox")
    assert loaded.digest == snap.digest
    assert list(json.loads(first)) == sorted(json.loads(first))


def test_digest_ignores_sync_time():
    assert (
        deals_snapshot().digest
        == deals_snapshot(synced_at="2027-01-01T00:00:00Z").digest
    )


def test_hand_edited_snapshot_is_rejected(tmp_path):
    path = write_snapshot(tmp_path, deals_snapshot())
    path.write_text(path.read_text().replace('"currency"', '"text"'))
    with pytest.raises(ConfigError, match="edited by hand"):
        load_snapshot(tmp_path, "zoho-sandbox")


def test_diff_names_changed_attributes():
    old = deals_snapshot()
    new = deals_snapshot()
    new.modules["Deals"]["fields"]["Next_Step"]["length"] = 255
    del new.modules["Deals"]["fields"]["Closing_Date"]
    changes = [c.describe() for c in diff_snapshots(old, new)]
    assert changes == [
        "field-removed: Deals.Closing_Date",
        "field-changed: Deals.Next_Step (length)",
    ]


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        pytest.param("Amount", 150000.5, None, id="currency-float"),
        pytest.param("Amount", "150000", "needs a number", id="currency-string"),
        pytest.param("Amount", True, "needs a number", id="currency-bool"),
        pytest.param("Closing_Date", "2025-06-30", None, id="date"),
        pytest.param("Closing_Date", "06/30/2025", "yyyy-MM-dd", id="date-us-format"),
        pytest.param("Closing_Date", "2025-02-30", "yyyy-MM-dd", id="date-impossible"),
        pytest.param("Stage", "Id. Decision Makers", None, id="picklist-stored"),
        pytest.param(
            "Stage",
            "Identify Decision Makers",
            "stored value is 'Id. Decision Makers'",
            id="picklist-label",
        ),
        pytest.param("Stage", "Won", "not a value", id="picklist-unknown"),
        pytest.param("Next_Step", "x" * 101, "at most 100", id="text-too-long"),
        pytest.param("Next_Step", None, None, id="null-clears"),
    ],
)
def test_value_problem(field, value, problem):
    entry = deals_snapshot().field("Deals", field)
    found = value_problem(entry, value)
    if problem is None:
        assert found is None
    else:
        assert problem in found


def test_parse_cli_value_by_type():
    snap = deals_snapshot()
    assert parse_cli_value(snap.field("Deals", "Amount"), "150000") == 150000
    assert parse_cli_value(snap.field("Deals", "Amount"), "1.5") == 1.5
    assert parse_cli_value(snap.field("Deals", "Next_Step"), "007") == "007"
    assert parse_cli_value(snap.field("Deals", "Stage"), "null") is None
    with pytest.raises(ValueError, match="needs a number"):
        parse_cli_value(snap.field("Deals", "Amount"), "lots")


@pytest.mark.parametrize(
    ("field", "text"),
    [
        pytest.param("Amount", "1_000", id="digit-separator"),
        pytest.param("Amount", "\u0661\u0662", id="arabic-indic-digits"),
        pytest.param("Amount", " 12 ", id="spaces"),
        pytest.param("Amount", "inf", id="infinity"),
        pytest.param("Probability", "1_0", id="integer-separator"),
        pytest.param("Probability", "1.5", id="integer-fraction"),
    ],
)
def test_parse_cli_value_rejects_loose_numbers(field, text):
    entry = deals_snapshot().field("Deals", field) or {
        "apiName": field,
        "dataType": "integer",
    }
    with pytest.raises(ValueError, match="needs a"):
        parse_cli_value(entry, text)


def test_parse_cli_value_cuts_long_value_in_message():
    snap = deals_snapshot()
    with pytest.raises(ValueError) as caught:
        parse_cli_value(snap.field("Deals", "Amount"), "x" * 5000)
    assert "(5,000 characters)" in str(caught.value)
    assert len(str(caught.value)) < 200
