from __future__ import annotations

import httpx
import pytest
from sandbox_testing import get_deal

from actionplane.zoho.sandbox import seed

SAMPLE = seed.SAMPLE_DEAL


def test_sample_deal_has_seeded_values(client: httpx.Client, auth: dict[str, str]):
    deal = get_deal(client, auth)

    for name in ("id", "Deal_Name", "Amount", "Stage", "Closing_Date", "Pipeline"):
        assert deal[name] == SAMPLE[name], name
    assert deal["Account_Name"] == {
        "name": "Northwind Traders",
        "id": seed.SAMPLE_ACCOUNT_ID,
    }
    assert deal["Contact_Name"] == {"name": "Ana Torres", "id": seed.SAMPLE_CONTACT_ID}
    assert deal["Owner"]["email"] == seed.CURRENT_USER["email"]
    assert deal["Modified_Time"] == SAMPLE["Modified_Time"]


def test_record_carries_dollar_keys(client: httpx.Client, auth: dict[str, str]):
    deal = get_deal(client, auth)

    assert deal["$approval_state"] == "approved"
    assert deal["$editable"] is True
    assert deal["$currency_symbol"] == "$"


def test_computed_fields_follow_inputs(client: httpx.Client, auth: dict[str, str]):
    deal = get_deal(client, auth)
    account = client.get(f"/crm/v8/Accounts/{seed.SAMPLE_ACCOUNT_ID}", headers=auth)
    contact = client.get(f"/crm/v8/Contacts/{seed.SAMPLE_CONTACT_ID}", headers=auth)

    assert deal["Expected_Revenue"] == SAMPLE["Amount"] * SAMPLE["Probability"] / 100
    assert deal["Deal_Number"] == "DL-1001"
    assert deal["Tag"] == []
    assert account.json()["data"][0]["Revenue_Per_Employee"] == round(18500000 / 420, 2)
    assert contact.json()["data"][0]["Full_Name"] == "Ana Torres"


def test_seeded_deals_use_stored_picklist_values(
    client: httpx.Client, auth: dict[str, str]
):
    response = client.get("/crm/v8/Deals?fields=Stage", headers=auth)

    stages = {row["Stage"] for row in response.json()["data"]}
    assert "Id. Decision Makers" in stages
    assert "Closed Lost to Competition" in stages


def test_get_with_fields_param(client: httpx.Client, auth: dict[str, str]):
    path = f"/crm/v8/Deals/{seed.SAMPLE_DEAL_ID}?fields=Stage,Amount"

    record = client.get(path, headers=auth).json()["data"][0]

    fields = {key for key in record if not key.startswith("$")}
    assert fields == {"id", "Stage", "Amount"}


def test_unknown_record_is_no_content(client: httpx.Client, auth: dict[str, str]):
    response = client.get("/crm/v8/Deals/3652397000000339999", headers=auth)

    assert response.status_code == 204
    assert response.content == b""


def test_malformed_id_is_invalid_data(client: httpx.Client, auth: dict[str, str]):
    response = client.get("/crm/v8/Deals/abc", headers=auth)

    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_DATA"
    assert response.json()["message"] == "the id given seems to be invalid"


@pytest.mark.parametrize("module", ["Nope", "deals", "Home"])
def test_unknown_module_is_invalid(
    client: httpx.Client, auth: dict[str, str], module: str
):
    response = client.get(f"/crm/v8/{module}/{seed.SAMPLE_DEAL_ID}", headers=auth)

    assert response.status_code == 400
    assert response.json() == {
        "code": "INVALID_MODULE",
        "details": {"resource_path_index": 0},
        "message": "the module name given seems to be invalid",
        "status": "error",
    }


def test_if_modified_since_answers_not_modified(
    client: httpx.Client, auth: dict[str, str]
):
    path = f"/crm/v8/Deals/{seed.SAMPLE_DEAL_ID}"

    unchanged = client.get(
        path, headers=auth | {"If-Modified-Since": "2025-06-01T00:00:00+00:00"}
    )
    changed = client.get(
        path, headers=auth | {"If-Modified-Since": "2024-06-01T00:00:00+00:00"}
    )

    assert unchanged.status_code == 304
    assert changed.status_code == 200


def test_list_needs_fields(client: httpx.Client, auth: dict[str, str]):
    response = client.get("/crm/v8/Deals", headers=auth)

    assert response.status_code == 400
    assert response.json()["code"] == "REQUIRED_PARAM_MISSING"
    assert response.json()["details"] == {"param_name": "fields"}


def test_list_allows_at_most_fifty_fields(client: httpx.Client, auth: dict[str, str]):
    names = ",".join(["Stage"] * 51)

    response = client.get(f"/crm/v8/Deals?fields={names}", headers=auth)

    assert response.status_code == 400
    assert response.json()["code"] == "LIMIT_EXCEEDED"
    assert response.json()["details"]["maximum_length"] == 50


def test_list_rejects_unknown_field(client: httpx.Client, auth: dict[str, str]):
    response = client.get("/crm/v8/Deals?fields=Stage,Nope", headers=auth)

    assert response.status_code == 400
    assert response.json()["details"]["api_name"] == "Nope"


def test_list_pages_and_sorts(client: httpx.Client, auth: dict[str, str]):
    first = client.get(
        "/crm/v8/Deals?fields=Deal_Name&per_page=3&sort_by=id&sort_order=asc",
        headers=auth,
    ).json()
    second = client.get(
        "/crm/v8/Deals?fields=Deal_Name&per_page=3&page=2&sort_by=id&sort_order=asc",
        headers=auth,
    ).json()

    assert first["data"][0]["id"] == seed.SAMPLE_DEAL_ID
    assert first["info"]["more_records"] is True
    assert first["info"]["count"] == 3
    assert second["info"]["more_records"] is False
    assert len(second["data"]) == 1


def test_list_beyond_last_page_is_no_content(
    client: httpx.Client, auth: dict[str, str]
):
    response = client.get("/crm/v8/Deals?fields=Stage&page=9", headers=auth)

    assert response.status_code == 204


def test_list_filters_by_ids(client: httpx.Client, auth: dict[str, str]):
    path = f"/crm/v8/Accounts?fields=Account_Name&ids={seed.SAMPLE_ACCOUNT_ID}"

    rows = client.get(path, headers=auth).json()["data"]

    assert [row["Account_Name"] for row in rows] == ["Northwind Traders"]


@pytest.mark.parametrize(
    "query",
    ["per_page=201", "page=0", "sort_by=Stage", "sort_order=up", "page=x"],
)
def test_list_rejects_bad_paging(
    client: httpx.Client, auth: dict[str, str], query: str
):
    response = client.get(f"/crm/v8/Deals?fields=Stage&{query}", headers=auth)

    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_DATA"


def test_lookup_name_follows_rename(client: httpx.Client, auth: dict[str, str]):
    client.put(
        f"/crm/v8/Accounts/{seed.SAMPLE_ACCOUNT_ID}",
        headers=auth,
        json={"data": [{"Account_Name": "Northwind Holdings"}]},
    )

    deal = get_deal(client, auth)

    assert deal["Account_Name"]["name"] == "Northwind Holdings"
