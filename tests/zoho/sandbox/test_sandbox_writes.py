from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from sandbox_testing import get_deal, put_deal

from actionplane.zoho.sandbox import SandboxServer, seed

OTHER_DEAL_ID = "3652397000000330002"


def only_item(response: httpx.Response) -> dict[str, Any]:
    items = response.json()["data"]
    assert len(items) == 1
    item: dict[str, Any] = items[0]
    return item


def test_update_returns_zoho_success(client: httpx.Client, auth: dict[str, str]):
    response = put_deal(client, auth, {"Stage": "Id. Decision Makers", "Amount": 52000})

    item = only_item(response)
    assert response.status_code == 200
    assert item["code"] == "SUCCESS"
    assert item["status"] == "success"
    assert item["message"] == "record updated"
    assert item["details"]["id"] == seed.SAMPLE_DEAL_ID
    assert item["details"]["Modified_By"] == {
        "name": seed.CURRENT_USER["full_name"],
        "id": seed.CURRENT_USER_ID,
    }
    assert item["details"]["Created_Time"] == seed.SAMPLE_DEAL["Created_Time"]


def test_update_lands_and_stamps_modified_time(
    client: httpx.Client, auth: dict[str, str]
):
    before = datetime.now().astimezone()

    item = only_item(put_deal(client, auth, {"Stage": "Closed Lost to Competition"}))
    deal = get_deal(client, auth)

    assert deal["Stage"] == "Closed Lost to Competition"
    assert deal["Modified_Time"] == item["details"]["Modified_Time"]
    assert deal["Modified_Time"].endswith("+05:30")
    modified = datetime.fromisoformat(deal["Modified_Time"])
    assert modified >= before.replace(microsecond=0)
    assert deal["Last_Activity_Time"] == deal["Modified_Time"]


def test_modified_time_increases_every_write(
    client: httpx.Client, auth: dict[str, str]
):
    stamps = [
        only_item(put_deal(client, auth, {"Next_Step": f"step {n}"}))["details"][
            "Modified_Time"
        ]
        for n in range(3)
    ]

    times = [datetime.fromisoformat(stamp) for stamp in stamps]
    assert times[0] < times[1] < times[2]
    assert times[1] - times[0] >= timedelta(seconds=1)


def test_null_clears_a_field(client: httpx.Client, auth: dict[str, str]):
    response = put_deal(client, auth, {"Next_Step": None})

    assert response.status_code == 200
    assert get_deal(client, auth)["Next_Step"] is None


def test_none_picklist_entry_clears(client: httpx.Client, auth: dict[str, str]):
    put_deal(client, auth, {"Type": "-None-"})

    assert get_deal(client, auth)["Type"] is None


def test_null_on_mandatory_field(client: httpx.Client, auth: dict[str, str]):
    response = put_deal(client, auth, {"Deal_Name": None})

    assert response.status_code == 400
    assert only_item(response) == {
        "code": "MANDATORY_NOT_FOUND",
        "details": {"api_name": "Deal_Name", "json_path": "$.data[0].Deal_Name"},
        "message": "required field not found",
        "status": "error",
    }


def test_dollar_keys_are_ignored(client: httpx.Client, auth: dict[str, str]):
    response = put_deal(client, auth, {"$approval_state": "approved", "Amount": 1.5})

    assert response.status_code == 200
    assert get_deal(client, auth)["Amount"] == 1.5


def test_stored_picklist_values_are_accepted(
    client: httpx.Client, auth: dict[str, str]
):
    response = put_deal(
        client,
        auth,
        {"Stage": "Id. Decision Makers", "Pipeline": "Standard (Standard)"},
    )

    assert response.status_code == 200
    assert get_deal(client, auth)["Stage"] == "Id. Decision Makers"


INVALID_WRITES = [
    ("Amount", "lots", {"expected_data_type": "currency"}),
    ("Amount", True, {"expected_data_type": "currency"}),
    ("Amount", 10**17, {"maximum_length": 16}),
    ("Probability", 1000, {"maximum_length": 3}),
    ("Probability", 5.5, {"expected_data_type": "integer"}),
    ("Probability", "50", {"expected_data_type": "integer"}),
    ("Closing_Date", "31/03/2025", {"expected_data_type": "date"}),
    ("Closing_Date", "2025-02-30", {}),
    ("Strategic_Deal", "yes", {"expected_data_type": "boolean"}),
    ("Next_Step", "x" * 101, {"maximum_length": 100}),
    ("Next_Step", 42, {"expected_data_type": "text"}),
    ("Stage", "Identify Decision Makers", {}),
    ("Stage", "Closed-Lost to Competition", {}),
    ("Account_Name", "Northwind Traders", {"expected_data_type": "lookup"}),
    ("Account_Name", {"id": "3652397000000319999"}, {}),
    ("Owner", {"id": "3652397000000201009"}, {}),
    ("Owner", {"name": "Priya"}, {"expected_data_type": "ownerlookup"}),
]


@pytest.mark.parametrize(
    ("name", "value", "extra"),
    INVALID_WRITES,
    ids=[
        "currency-text",
        "currency-bool",
        "currency-too-long",
        "integer-too-long",
        "integer-fraction",
        "integer-string",
        "date-format",
        "date-impossible",
        "boolean-text",
        "text-too-long",
        "text-number",
        "picklist-label",
        "picklist-label-2",
        "lookup-text",
        "lookup-unknown-id",
        "owner-disabled-user",
        "owner-no-id",
    ],
)
def test_invalid_values_are_rejected(
    client: httpx.Client,
    auth: dict[str, str],
    name: str,
    value: Any,
    extra: dict[str, Any],
):
    response = put_deal(client, auth, {name: value})

    item = only_item(response)
    assert response.status_code == 400
    assert item["code"] == "INVALID_DATA"
    assert item["status"] == "error"
    assert (
        item["details"] == {"api_name": name, "json_path": f"$.data[0].{name}"} | extra
    )
    assert get_deal(client, auth)[name] != value


@pytest.mark.parametrize(
    "name",
    [
        "Expected_Revenue",
        "Deal_Number",
        "Modified_Time",
        "Created_By",
        "Territory",
        "Locked__s",
    ],
)
def test_fields_the_api_cannot_write(
    client: httpx.Client, auth: dict[str, str], name: str
):
    response = put_deal(client, auth, {name: "x"})

    item = only_item(response)
    assert response.status_code == 400
    assert item["code"] == "INVALID_DATA"
    assert item["details"]["api_name"] == name


def test_unknown_field_is_rejected_by_default(
    client: httpx.Client, auth: dict[str, str]
):
    item = only_item(put_deal(client, auth, {"Stage_Name": "Closed Won"}))

    assert item["code"] == "INVALID_DATA"
    assert item["details"] == {
        "api_name": "Stage_Name",
        "json_path": "$.data[0].Stage_Name",
    }


def test_contact_email_must_look_like_one(client: httpx.Client, auth: dict[str, str]):
    response = client.put(
        f"/crm/v8/Contacts/{seed.SAMPLE_CONTACT_ID}",
        headers=auth,
        json={"data": [{"Email": "not-an-email"}]},
    )

    assert response.status_code == 400
    assert only_item(response)["details"]["api_name"] == "Email"


def test_duplicate_unique_value(client: httpx.Client, auth: dict[str, str]):
    response = client.put(
        f"/crm/v8/Accounts/{seed.SAMPLE_ACCOUNT_ID}",
        headers=auth,
        json={"data": [{"Account_Name": "blue heron logistics"}]},
    )

    item = only_item(response)
    assert item["code"] == "DUPLICATE_DATA"
    assert item["details"]["duplicate_record"]["id"] == "3652397000000310002"


@pytest.mark.parametrize(
    ("module", "record_id", "changes"),
    [
        (
            "Accounts",
            seed.SAMPLE_ACCOUNT_ID,
            {
                "Phone": "+1 206 555 0100",
                "Website": "https://nw.example",
                "Description": "Key account",
            },
        ),
        (
            "Contacts",
            seed.SAMPLE_CONTACT_ID,
            {
                "Title": "COO",
                "Phone": "+1 206 555 0111",
                "Description": "Signs renewals",
            },
        ),
        (
            "Deals",
            seed.SAMPLE_DEAL_ID,
            {
                "Owner": {"id": "3652397000000201005"},
                "Closing_Date": "2026-01-15",
                "Account_Name": {"id": "3652397000000310002"},
            },
        ),
    ],
    ids=["accounts", "contacts", "deals-owner-and-lookup"],
)
def test_managed_fields_write_and_read_back(
    client: httpx.Client,
    auth: dict[str, str],
    module: str,
    record_id: str,
    changes: dict[str, Any],
):
    path = f"/crm/v8/{module}/{record_id}"

    response = client.put(path, headers=auth, json={"data": [changes]})
    record = client.get(path, headers=auth).json()["data"][0]

    assert response.status_code == 200
    for name, value in changes.items():
        if isinstance(value, dict):
            assert record[name]["id"] == value["id"], name
        else:
            assert record[name] == value, name


def test_bulk_update_all_succeed(client: httpx.Client, auth: dict[str, str]):
    body = {
        "data": [
            {"id": seed.SAMPLE_DEAL_ID, "Amount": 100.0},
            {"id": OTHER_DEAL_ID, "Probability": 70},
        ],
        "trigger": [],
    }

    response = client.put("/crm/v8/Deals", headers=auth, json=body)

    assert response.status_code == 200
    assert [item["status"] for item in response.json()["data"]] == [
        "success",
        "success",
    ]


def test_bulk_update_partial_is_207(client: httpx.Client, auth: dict[str, str]):
    body = {
        "data": [
            {"id": seed.SAMPLE_DEAL_ID, "Amount": 200.0},
            {"id": OTHER_DEAL_ID, "Probability": "high"},
        ]
    }

    response = client.put("/crm/v8/Deals", headers=auth, json=body)

    items = response.json()["data"]
    assert response.status_code == 207
    assert items[0]["status"] == "success"
    assert items[1]["status"] == "error"
    assert items[1]["details"]["json_path"] == "$.data[1].Probability"
    assert get_deal(client, auth)["Amount"] == 200.0


def test_bulk_update_all_failed_is_400(client: httpx.Client, auth: dict[str, str]):
    body = {"data": [{"Amount": 1.0}, {"id": "3652397000000339999", "Amount": 2.0}]}

    response = client.put("/crm/v8/Deals", headers=auth, json=body)

    items = response.json()["data"]
    assert response.status_code == 400
    assert items[0] == {
        "code": "MANDATORY_NOT_FOUND",
        "details": {"api_name": "id", "json_path": "$.data[0].id"},
        "message": "required field not found",
        "status": "error",
    }
    assert items[1]["code"] == "INVALID_DATA"
    assert items[1]["message"] == "the id given seems to be invalid"


def test_bulk_update_over_100_records(client: httpx.Client, auth: dict[str, str]):
    body = {
        "data": [{"id": seed.SAMPLE_DEAL_ID, "Amount": float(n)} for n in range(101)]
    }

    response = client.put("/crm/v8/Deals", headers=auth, json=body)

    assert response.status_code == 400
    assert response.json() == {
        "data": [
            {
                "code": "LIMIT_EXCEEDED",
                "details": {"maximum_length": 100, "api_name": "data"},
                "message": "count of records in your request exceeds the limit",
                "status": "error",
            }
        ]
    }
    assert get_deal(client, auth)["Amount"] == seed.SAMPLE_DEAL["Amount"]


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"data": []}', b'{"rows": [{}]}'],
    ids=["not-json", "array", "empty-data", "no-data"],
)
def test_malformed_update_body(client: httpx.Client, auth: dict[str, str], body: bytes):
    response = client.put(
        f"/crm/v8/Deals/{seed.SAMPLE_DEAL_ID}",
        headers=auth | {"Content-Type": "application/json"},
        content=body,
    )

    assert response.status_code == 400
    assert response.json()["status"] == "error"


def test_path_id_wins_over_body_id(client: httpx.Client, auth: dict[str, str]):
    response = put_deal(client, auth, {"id": OTHER_DEAL_ID, "Amount": 3.0})

    assert only_item(response)["details"]["id"] == seed.SAMPLE_DEAL_ID
    assert get_deal(client, auth)["Amount"] == 3.0


def test_if_unmodified_since_current_time_passes(
    client: httpx.Client, auth: dict[str, str]
):
    seen = get_deal(client, auth)["Modified_Time"]

    response = put_deal(client, auth, {"Amount": 4.0}, **{"If-Unmodified-Since": seen})

    assert response.status_code == 200


def test_stale_if_unmodified_since_is_412(client: httpx.Client, auth: dict[str, str]):
    seen = get_deal(client, auth)["Modified_Time"]
    put_deal(client, auth, {"Next_Step": "someone else"})
    current = get_deal(client, auth)

    response = put_deal(client, auth, {"Amount": 5.0}, **{"If-Unmodified-Since": seen})

    assert response.status_code == 412
    assert only_item(response) == {
        "code": "ALREADY_MODIFIED",
        "details": {
            "Modified_Time": current["Modified_Time"],
            "Modified_By": {
                "name": seed.CURRENT_USER["full_name"],
                "id": seed.CURRENT_USER_ID,
            },
            "Created_Time": current["Created_Time"],
            "id": seed.SAMPLE_DEAL_ID,
            "Created_By": {
                "name": seed.CURRENT_USER["full_name"],
                "id": seed.CURRENT_USER_ID,
            },
        },
        "message": "record updated time has already passed if-unmodified-since time",
        "status": "error",
    }
    assert get_deal(client, auth)["Amount"] == seed.SAMPLE_DEAL["Amount"]


def test_stale_check_per_record_in_bulk(client: httpx.Client, auth: dict[str, str]):
    both = {"data": [{"id": seed.SAMPLE_DEAL_ID}, {"id": OTHER_DEAL_ID}]}
    written = client.put("/crm/v8/Deals", headers=auth, json=both).json()["data"]
    seen = written[1]["details"]["Modified_Time"]
    put_deal(client, auth, {"Next_Step": "someone else"})
    body = {
        "data": [
            {"id": seed.SAMPLE_DEAL_ID, "Amount": 6.0},
            {"id": OTHER_DEAL_ID, "Amount": 7.0},
        ]
    }

    response = client.put(
        "/crm/v8/Deals", headers=auth | {"If-Unmodified-Since": seen}, json=body
    )

    codes = [item["code"] for item in response.json()["data"]]
    assert response.status_code == 207
    assert codes == ["ALREADY_MODIFIED", "SUCCESS"]


def test_if_unmodified_since_accepts_http_date(
    client: httpx.Client, auth: dict[str, str]
):
    seen = datetime.fromisoformat(get_deal(client, auth)["Modified_Time"])
    put_deal(client, auth, {"Next_Step": "someone else"})

    stale = put_deal(
        client,
        auth,
        {"Amount": 8.0},
        **{"If-Unmodified-Since": format_datetime(seen, usegmt=False)},
    )

    assert stale.status_code == 412


def test_garbled_if_unmodified_since(client: httpx.Client, auth: dict[str, str]):
    response = put_deal(
        client, auth, {"Amount": 9.0}, **{"If-Unmodified-Since": "yesterday"}
    )

    assert response.status_code == 400
    assert response.json()["details"] == {"param_name": "If-Unmodified-Since"}


def test_write_methods_not_served(client: httpx.Client, auth: dict[str, str]):
    response = client.post(
        "/crm/v8/Deals", headers=auth, json={"data": [{"Deal_Name": "x"}]}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST_METHOD"


def test_record_helper_matches_api(
    sandbox: SandboxServer, client: httpx.Client, auth: dict[str, str]
):
    assert sandbox.record("Deals", seed.SAMPLE_DEAL_ID) == get_deal(client, auth)
    assert sandbox.record("Deals", "1") is None
    assert sandbox.record("Nope", "1") is None


def test_owner_cannot_be_cleared(client: httpx.Client, auth: dict[str, str]):
    response = put_deal(client, auth, {"Owner": None})

    assert response.status_code == 400
    assert only_item(response)["code"] == "MANDATORY_NOT_FOUND"


def test_chunked_request_body(client: httpx.Client, auth: dict[str, str]):
    def chunks():
        yield b'{"data": [{"Next_'
        yield b'Step": "sent in chunks"}]}'

    response = client.put(
        f"/crm/v8/Deals/{seed.SAMPLE_DEAL_ID}",
        headers=auth | {"Content-Type": "application/json"},
        content=chunks(),
    )
    again = get_deal(client, auth)

    assert response.status_code == 200
    assert again["Next_Step"] == "sent in chunks"


def test_invalid_content_length(sandbox: SandboxServer):
    import socket

    host, port = sandbox.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(
            b"PUT /crm/v8/Deals HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n"
        )
        reply = raw.recv(4096)

    assert reply.startswith(b"HTTP/1.1 400")
