from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sandbox_testing import bearer, new_access_token

from actionplane.zoho.sandbox import SandboxServer, seed
from actionplane.zoho.sandbox.catalog import build_catalog, load_catalog, load_data

MODULE_SPECS: list[dict[str, Any]] = [
    {
        "api_name": "Home",
        "module_name": "Home",
        "singular_label": "Home",
        "plural_label": "Home",
        "id": "3652397000000900001",
        "sequence_number": 1,
        "api_supported": False,
        "generated_type": "default",
    },
    {
        "api_name": "Projects",
        "module_name": "CustomModule1",
        "singular_label": "Project",
        "plural_label": "Projects",
        "id": "3652397000000900002",
        "sequence_number": 2,
        "api_supported": True,
        "generated_type": "custom",
    },
]
FIELD_SPECS: dict[str, list[dict[str, Any]]] = {
    "Projects": [
        {"api_name": "Name", "label": "Project Name", "type": "text", "length": 120},
        {"api_name": "Budget", "label": "Budget", "type": "currency", "length": 16},
        {
            "api_name": "Phase",
            "label": "Phase",
            "type": "picklist",
            "length": 120,
            "picklist": ["Plan", {"display": "Build It", "actual": "Build"}],
        },
        {
            "api_name": "Code",
            "label": "Code",
            "type": "text",
            "length": 20,
            "access": "read_only",
        },
    ]
}


@pytest.fixture
def custom_sandbox() -> Iterator[SandboxServer]:
    catalog = build_catalog(MODULE_SPECS, FIELD_SPECS)
    with SandboxServer(catalog=catalog) as server:
        yield server


@pytest.fixture
def custom_client(custom_sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=custom_sandbox.url, timeout=10) as http:
        http.headers.update(bearer(new_access_token(http)))
        yield http


def test_custom_catalog_lists_its_modules(custom_client: httpx.Client):
    response = custom_client.get("/crm/v8/settings/modules")

    modules = {m["api_name"]: m for m in response.json()["modules"]}
    assert response.status_code == 200
    assert sorted(modules) == ["Home", "Projects"]
    assert modules["Projects"]["api_supported"] is True
    assert modules["Home"]["api_supported"] is False


def test_custom_catalog_serves_expanded_fields(custom_client: httpx.Client):
    response = custom_client.get("/crm/v8/settings/fields?module=Projects")

    fields = {f["api_name"]: f for f in response.json()["fields"]}
    assert response.status_code == 200
    assert list(fields) == ["Name", "Budget", "Phase", "Code"]
    assert fields["Budget"]["json_type"] == "double"
    phase_values = [v["actual_value"] for v in fields["Phase"]["pick_list_values"]]
    assert phase_values == ["Plan", "Build"]
    assert fields["Code"]["operation_type"]["api_update"] is False


def test_custom_catalog_drops_packaged_modules(custom_client: httpx.Client):
    response = custom_client.get("/crm/v8/settings/fields?module=Deals")

    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_MODULE"


def test_custom_module_without_records_lists_none(
    custom_sandbox: SandboxServer, custom_client: httpx.Client
):
    listed = custom_client.get("/crm/v8/Projects?fields=Name,Budget")
    missing = custom_client.get("/crm/v8/Projects/3652397000000999999")

    assert listed.status_code == 204
    assert missing.status_code == 204

    custom_sandbox.reset()
    custom_client.headers.update(bearer(new_access_token(custom_client)))
    after_reset = custom_client.get("/crm/v8/Projects?fields=Name")

    assert after_reset.status_code == 204


def test_build_catalog_matches_packaged_catalog():
    module_specs = load_data("modules.json")
    field_specs = {
        spec["api_name"]: load_data(f"fields_{spec['api_name']}.json")
        for spec in module_specs
        if spec["api_supported"]
    }

    assert build_catalog(module_specs, field_specs) == load_catalog()


def test_default_catalog_is_packaged_one():
    with SandboxServer() as server:
        assert server.app.catalog is load_catalog()
        assert server.record("Deals", seed.SAMPLE_DEAL_ID) is not None
