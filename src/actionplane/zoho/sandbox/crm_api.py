"""Routing of `/crm/v8/...` requests to the metadata and record handlers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from actionplane.zoho.sandbox import records_api, settings_api, updates_api
from actionplane.zoho.sandbox.catalog import Catalog
from actionplane.zoho.sandbox.crm_auth import (
    record_scopes,
    scope_allows,
    settings_scopes,
)
from actionplane.zoho.sandbox.http_types import Request, Response, api_error
from actionplane.zoho.sandbox.options import SandboxOptions
from actionplane.zoho.sandbox.store import State
from actionplane.zoho.sandbox.validation import WriteContext

API_PREFIX = "/crm/v8/"
RESERVED = {"settings", "users", "org"}


@dataclass
class CrmCall:
    request: Request
    state: State
    catalog: Catalog
    options: SandboxOptions
    now: datetime

    @property
    def parts(self) -> list[str]:
        return [
            part for part in self.request.path[len(API_PREFIX) :].split("/") if part
        ]


def route_crm(call: CrmCall, grant: dict[str, Any]) -> tuple[Response, int]:
    """Route an authenticated CRM call; return the response and records written.

    `grant` is what `crm_auth.authenticate` returned for the call's token.
    """
    parts = call.parts
    if not parts:
        return api_error("INVALID_URL_PATTERN"), 0
    if parts[0] in RESERVED:
        return _route_metadata(call, parts, grant["scope"]), 0
    return _route_records(call, parts, grant["scope"])


def _route_metadata(call: CrmCall, parts: list[str], scope: str) -> Response:
    if call.request.method != "GET":
        return api_error("INVALID_REQUEST_METHOD")
    head, rest = parts[0], parts[1:]
    if head == "settings" and rest[:1] == ["modules"] and len(rest) <= 2:
        if not scope_allows(scope, settings_scopes("modules")):
            return api_error("OAUTH_SCOPE_MISMATCH")
        if len(rest) == 2:
            return settings_api.get_module(call.catalog, rest[1])
        return settings_api.list_modules(call.catalog)
    if head == "settings" and rest[:1] == ["fields"] and len(rest) <= 2:
        if not scope_allows(scope, settings_scopes("fields")):
            return api_error("OAUTH_SCOPE_MISMATCH")
        field_id = rest[1] if len(rest) == 2 else None
        return settings_api.list_fields(
            call.request, call.state, call.catalog, field_id
        )
    if head == "users" and len(rest) <= 1:
        if not scope_allows(scope, ("ZohoCRM.users.ALL", "ZohoCRM.users.READ")):
            return api_error("OAUTH_SCOPE_MISMATCH")
        return settings_api.list_users(call.request, rest[0] if rest else None)
    if head == "org" and not rest:
        if not scope_allows(scope, ("ZohoCRM.org.ALL", "ZohoCRM.org.READ")):
            return api_error("OAUTH_SCOPE_MISMATCH")
        return settings_api.get_org()
    return api_error("INVALID_URL_PATTERN")


def _route_records(call: CrmCall, parts: list[str], scope: str) -> tuple[Response, int]:
    module = parts[0]
    if len(parts) > 2:
        return api_error("INVALID_URL_PATTERN"), 0
    if not call.catalog.has_records(module):
        return api_error("INVALID_MODULE", {"resource_path_index": 0}), 0
    record_id = parts[1] if len(parts) == 2 else None
    method = call.request.method

    if method == "GET":
        if not scope_allows(scope, record_scopes(module, "READ")):
            return api_error("OAUTH_SCOPE_MISMATCH"), 0
        if record_id is None:
            return records_api.list_records(
                call.request, call.state, call.catalog, module
            ), 0
        return (
            records_api.get_record(
                call.request, call.state, call.catalog, module, record_id
            ),
            0,
        )
    if method == "PUT":
        if not scope_allows(scope, record_scopes(module, "UPDATE")):
            return api_error("OAUTH_SCOPE_MISMATCH"), 0
        context = WriteContext(call.catalog, call.state, module, call.options)
        return updates_api.update_records(call.request, context, call.now, record_id)
    # NOTE: inserts, upserts and deletes are not served; ActionPlane only updates.
    return api_error("INVALID_REQUEST_METHOD"), 0
