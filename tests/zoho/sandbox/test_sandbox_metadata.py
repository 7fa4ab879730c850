from __future__ import annotations

from typing import Any

import httpx
import pytest

from actionplane.zoho.sandbox import seed

FIELD_KEYS = {
    "api_name",
    "id",
    "field_label",
    "display_label",
    "data_type",
    "json_type",
    "length",
    "decimal_place",
    "read_only",
    "field_read_only",
    "operation_type",
    "system_mandatory",
    "custom_field",
    "pick_list_values",
    "lookup",
    "formula",
    "auto_number",
    "currency",
    "unique",
    "profiles",
    "view_type",
    "visible",
    "display_field",
}


def fields_of(
    client: httpx.Client, auth: dict[str, str], module: str
) -> dict[str, Any]:
    response = client.get(f"/crm/v8/settings/fields?module={module}", headers=auth)
    assert response.status_code == 200, response.text
    return {field["api_name"]: field for field in response.json()["fields"]}


def picklist(field: dict[str, Any]) -> dict[str, str]:
    return {
        item["display_value"]: item["actual_value"]
        for item in field["pick_list_values"]
    }


def can_update(field: dict[str, Any]) -> bool:
    return field["operation_type"]["api_update"] and not field["read_only"]


def test_modules_list_marks_api_support(client: httpx.Client, auth: dict[str, str]):
    response = client.get("/crm/v8/settings/modules", headers=auth)

    modules = {module["api_name"]: module for module in response.json()["modules"]}
    assert response.status_code == 200
    for name in ("Deals", "Accounts", "Contacts"):
        assert modules[name]["api_supported"] is True
    for name in ("Home", "Reports", "Documents"):
        assert modules[name]["api_supported"] is False
    assert modules["Deals"]["singular_label"] == "Deal"
    assert modules["Deals"]["generated_type"] == "default"


def test_single_module(client: httpx.Client, auth: dict[str, str]):
    found = client.get("/crm/v8/settings/modules/Deals", headers=auth)
    missing = client.get("/crm/v8/settings/modules/Nope", headers=auth)

    assert found.json()["modules"][0]["api_name"] == "Deals"
    assert missing.status_code == 400
    assert missing.json()["code"] == "INVALID_MODULE"


@pytest.mark.parametrize(
    "module", ["Deals", "Accounts", "Contacts", "Campaigns", "Vendors"]
)
def test_every_field_has_zoho_shape(
    client: httpx.Client, auth: dict[str, str], module: str
):
    fields = fields_of(client, auth, module)

    for field in fields.values():
        assert set(field) >= FIELD_KEYS, field["api_name"]
        assert set(field["operation_type"]) == {
            "web_update",
            "api_create",
            "web_create",
            "api_update",
        }
    assert "id" in fields


def test_deal_stage_stored_values_differ_from_labels(
    client: httpx.Client, auth: dict[str, str]
):
    fields = fields_of(client, auth, "Deals")

    stages = picklist(fields["Stage"])
    assert stages["Identify Decision Makers"] == "Id. Decision Makers"
    assert stages["Closed-Lost to Competition"] == "Closed Lost to Competition"
    assert stages["Qualification"] == "Qualification"
    assert fields["Stage"]["system_mandatory"] is True
    assert fields["Stage"]["pick_list_values"][0]["probability"] == 10


def test_pipeline_maps_its_stages(client: httpx.Client, auth: dict[str, str]):
    pipeline = fields_of(client, auth, "Deals")["Pipeline"]

    value = pipeline["pick_list_values"][0]
    assert value["display_value"] == "Standard"
    assert value["actual_value"] == "Standard (Standard)"
    assert [stage["actual_value"] for stage in value["maps"]][
        3
    ] == "Id. Decision Makers"


@pytest.mark.parametrize(
    ("module", "name", "data_type"),
    [
        ("Deals", "Expected_Revenue", "currency"),
        ("Deals", "Deal_Number", "autonumber"),
        ("Accounts", "Revenue_Per_Employee", "formula"),
        ("Deals", "Modified_Time", "datetime"),
        ("Deals", "Created_By", "ownerlookup"),
        ("Contacts", "Full_Name", "text"),
        ("Deals", "Territory", "territories"),
    ],
    ids=[
        "read-only",
        "auto-number",
        "formula",
        "system-time",
        "system-user",
        "computed-name",
        "web-only",
    ],
)
def test_fields_the_api_cannot_update(
    client: httpx.Client, auth: dict[str, str], module: str, name: str, data_type: str
):
    field = fields_of(client, auth, module)[name]

    assert field["data_type"] == data_type
    assert can_update(field) is False


def test_formula_and_auto_number_details(client: httpx.Client, auth: dict[str, str]):
    accounts = fields_of(client, auth, "Accounts")
    deals = fields_of(client, auth, "Deals")

    assert accounts["Revenue_Per_Employee"]["formula"]["return_type"] == "double"
    assert accounts["Revenue_Per_Employee"]["json_type"] == "double"
    assert deals["Deal_Number"]["auto_number"]["prefix"] == "DL-"
    assert deals["Expected_Revenue"]["read_only"] is True


def test_lookup_names_target_module(client: httpx.Client, auth: dict[str, str]):
    deals = fields_of(client, auth, "Deals")

    assert deals["Account_Name"]["lookup"]["module"]["api_name"] == "Accounts"
    assert deals["Contact_Name"]["lookup"]["module"]["api_name"] == "Contacts"


def test_owner_is_writable_despite_field_read_only(
    client: httpx.Client, auth: dict[str, str]
):
    owner = fields_of(client, auth, "Deals")["Owner"]

    assert owner["field_read_only"] is True
    assert can_update(owner) is True


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("Deals", "Stage"),
        ("Deals", "Amount"),
        ("Deals", "Closing_Date"),
        ("Deals", "Next_Step"),
        ("Accounts", "Phone"),
        ("Accounts", "Website"),
        ("Accounts", "Description"),
        ("Contacts", "Title"),
        ("Contacts", "Phone"),
        ("Contacts", "Description"),
    ],
)
def test_managed_fields_are_writable(
    client: httpx.Client, auth: dict[str, str], module: str, name: str
):
    assert can_update(fields_of(client, auth, module)[name]) is True


def test_fields_need_module_param(client: httpx.Client, auth: dict[str, str]):
    response = client.get("/crm/v8/settings/fields", headers=auth)

    assert response.status_code == 400
    assert response.json() == {
        "code": "REQUIRED_PARAM_MISSING",
        "details": {"param_name": "module"},
        "message": "One of the expected parameter is missing",
        "status": "error",
    }


@pytest.mark.parametrize("module", ["Nope", "deals", "Home"])
def test_fields_of_unknown_module(
    client: httpx.Client, auth: dict[str, str], module: str
):
    response = client.get(f"/crm/v8/settings/fields?module={module}", headers=auth)

    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_MODULE"
    assert response.json()["message"] == "the module name given seems to be invalid"


def test_unused_fields_are_no_content(client: httpx.Client, auth: dict[str, str]):
    response = client.get(
        "/crm/v8/settings/fields?module=Deals&type=unused", headers=auth
    )

    assert response.status_code == 204
    assert response.content == b""


def test_single_field_by_id(client: httpx.Client, auth: dict[str, str]):
    stage = fields_of(client, auth, "Deals")["Stage"]

    response = client.get(
        f"/crm/v8/settings/fields/{stage['id']}?module=Deals", headers=auth
    )

    assert response.json()["fields"][0]["api_name"] == "Stage"


def test_current_user(client: httpx.Client, auth: dict[str, str]):
    response = client.get("/crm/v8/users?type=CurrentUser", headers=auth)

    users = response.json()["users"]
    assert response.status_code == 200
    assert len(users) == 1
    assert users[0]["id"] == seed.CURRENT_USER_ID
    assert users[0]["profile"]["name"] == "Administrator"
    assert users[0]["role"]["name"] == "CEO"
    assert users[0]["time_zone"] == "Asia/Kolkata"
    assert response.json()["info"]["count"] == 1


def test_user_filters(client: httpx.Client, auth: dict[str, str]):
    active = client.get("/crm/v8/users?type=ActiveUsers", headers=auth).json()["users"]
    every = client.get("/crm/v8/users", headers=auth).json()["users"]
    bad = client.get("/crm/v8/users?type=Everyone", headers=auth)

    assert len(active) == 2
    assert len(every) == 3
    assert bad.status_code == 400


def test_org_says_it_is_a_sandbox(client: httpx.Client, auth: dict[str, str]):
    org = client.get("/crm/v8/org", headers=auth).json()["org"][0]

    assert org["type"] == "sandbox"
    assert org["id"] == seed.ORG["id"]
    assert org["time_zone"] == "Asia/Kolkata"


def test_unknown_path_is_invalid_url_pattern(
    client: httpx.Client, auth: dict[str, str]
):
    deep = client.get("/crm/v8/Deals/1/Notes/2", headers=auth)
    other_version = client.get("/crm/v2/Deals", headers=auth)
    elsewhere = client.get("/somewhere")

    for response in (deep, other_version, elsewhere):
        assert response.status_code == 404
        assert response.json()["code"] == "INVALID_URL_PATTERN"


def test_metadata_is_read_only(client: httpx.Client, auth: dict[str, str]):
    response = client.post("/crm/v8/settings/modules", headers=auth, json={})

    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST_METHOD"
