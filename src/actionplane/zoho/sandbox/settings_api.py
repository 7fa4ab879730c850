"""Org metadata: `settings/modules`, `settings/fields`, `users` and `org`."""

from __future__ import annotations

import copy
from typing import Any

from actionplane.zoho.sandbox import seed
from actionplane.zoho.sandbox.catalog import Catalog
from actionplane.zoho.sandbox.http_types import Request, Response, api_error
from actionplane.zoho.sandbox.store import State

FIELD_TYPES = ("all", "used", "unused")
USER_FILTERS = {
    "AllUsers": lambda user: True,
    "ActiveUsers": lambda user: user["status"] == "active",
    "DeactiveUsers": lambda user: user["status"] == "disabled",
    "ConfirmedUsers": lambda user: user["confirm"],
    "AdminUsers": lambda user: user["profile"]["name"] == "Administrator",
    "CurrentUser": lambda user: user["id"] == seed.CURRENT_USER_ID,
}


def list_modules(catalog: Catalog) -> Response:
    return Response(200, {"modules": copy.deepcopy(list(catalog.modules))})


def get_module(catalog: Catalog, api_name: str) -> Response:
    module = catalog.module(api_name)
    if module is None:
        return api_error("INVALID_MODULE", {"resource_path_index": 2})
    return Response(200, {"modules": [copy.deepcopy(module)]})


def list_fields(
    request: Request, state: State, catalog: Catalog, field_id: str | None = None
) -> Response:
    module = request.param("module")
    if not module:
        return api_error("REQUIRED_PARAM_MISSING", {"param_name": "module"})
    if not catalog.has_records(module):
        return api_error("INVALID_MODULE", {"param_name": "module"})
    field_type = request.param("type") or "used"
    if field_type not in FIELD_TYPES:
        return api_error(
            "INVALID_DATA",
            {"param_name": "type", "supported_values": list(FIELD_TYPES)},
        )
    if field_type == "unused":
        return Response(204)  # every seeded field is in use

    fields = catalog.fields_with_additions(module, state["picklist_additions"])
    if field_id is not None:
        fields = [field for field in fields if field["id"] == field_id]
        if not fields:
            return api_error(
                "INVALID_DATA",
                {"resource_path_index": 3},
                message="the id given seems to be invalid",
            )
    return Response(200, {"fields": fields})


def list_users(request: Request, user_id: str | None = None) -> Response:
    if user_id is not None:
        users = [user for user in seed.USERS if user["id"] == user_id]
        if not users:
            return api_error(
                "INVALID_DATA",
                {"resource_path_index": 1},
                message="the id given seems to be invalid",
            )
        return Response(200, {"users": copy.deepcopy(users)})

    user_type = request.param("type") or "AllUsers"
    keep = USER_FILTERS.get(user_type)
    if keep is None:
        return api_error(
            "INVALID_DATA",
            {"param_name": "type", "supported_values": sorted(USER_FILTERS)},
        )
    users = [copy.deepcopy(user) for user in seed.USERS if keep(user)]
    if not users:
        return Response(204)
    info: dict[str, Any] = {
        "per_page": 200,
        "count": len(users),
        "page": 1,
        "more_records": False,
    }
    return Response(200, {"users": users, "info": info})


def get_org() -> Response:
    return Response(200, {"org": [copy.deepcopy(seed.ORG)]})
