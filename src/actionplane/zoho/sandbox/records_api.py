"""Record reads: `GET /crm/v8/{Module}/{id}` and `GET /crm/v8/{Module}`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from actionplane.zoho.sandbox.catalog import Catalog
from actionplane.zoho.sandbox.clock import parse_header_time, parse_time
from actionplane.zoho.sandbox.http_types import Request, Response, api_error
from actionplane.zoho.sandbox.present import present_record
from actionplane.zoho.sandbox.store import State
from actionplane.zoho.sandbox.validation import RECORD_ID

MAX_LIST_FIELDS = 50
MAX_PER_PAGE = 200
SORT_FIELDS = ("id", "Created_Time", "Modified_Time")


def invalid_id() -> Response:
    return api_error(
        "INVALID_DATA",
        {"resource_path_index": 1},
        message="the id given seems to be invalid",
    )


def get_record(
    request: Request, state: State, catalog: Catalog, module: str, record_id: str
) -> Response:
    if not RECORD_ID.fullmatch(record_id):
        return invalid_id()
    only = _fields_param(request)
    if isinstance(only, Response):
        return only
    problem = _unknown_field(catalog, module, only)
    if problem is not None:
        return problem

    stored = state["records"][module].get(record_id)
    if stored is None:
        # NOTE: whether Zoho responds to an unknown but well-formed id with 204
        # or with 400 INVALID_DATA was not confirmed; the SDK handles 204 here.
        return Response(204)
    if _not_modified_since(request, stored):
        return Response(304)
    return Response(
        200, {"data": [present_record(catalog, state, module, stored, only)]}
    )


def list_records(
    request: Request, state: State, catalog: Catalog, module: str
) -> Response:
    only = _fields_param(request)
    if isinstance(only, Response):
        return only
    if only is None:
        return api_error("REQUIRED_PARAM_MISSING", {"param_name": "fields"})
    if len(only) > MAX_LIST_FIELDS:
        return api_error(
            "LIMIT_EXCEEDED",
            {"param_name": "fields", "maximum_length": MAX_LIST_FIELDS},
            message="the number of fields given exceeds the limit",
        )
    problem = _unknown_field(catalog, module, only)
    if problem is not None:
        return problem

    paging = _paging(request)
    if isinstance(paging, Response):
        return paging
    page, per_page, sort_by, sort_order = paging
    rows = _select(request, state, module)
    rows.sort(key=lambda row: _sort_key(row, sort_by), reverse=sort_order == "desc")
    start = (page - 1) * per_page
    chunk = rows[start : start + per_page]
    if not chunk:
        return Response(204)
    info = {
        "per_page": per_page,
        "count": len(chunk),
        "page": page,
        "sort_by": sort_by,
        "sort_order": sort_order,
        "more_records": start + per_page < len(rows),
        "next_page_token": None,
        "previous_page_token": None,
        "page_token_expiry": None,
    }
    data = [present_record(catalog, state, module, row, only) for row in chunk]
    return Response(200, {"data": data, "info": info})


def _fields_param(request: Request) -> list[str] | Response | None:
    raw = request.param("fields")
    if raw is None:
        return None
    names = [name.strip() for name in raw.split(",") if name.strip()]
    if not names:
        return api_error("REQUIRED_PARAM_MISSING", {"param_name": "fields"})
    return names


def _unknown_field(
    catalog: Catalog, module: str, names: list[str] | None
) -> Response | None:
    for name in names or []:
        if catalog.field(module, name) is None:
            return api_error(
                "INVALID_DATA",
                {"param_name": "fields", "api_name": name},
                message="the field name given seems to be invalid",
            )
    return None


def _paging(request: Request) -> tuple[int, int, str, str] | Response:
    try:
        page = int(request.param("page") or 1)
        per_page = int(request.param("per_page") or MAX_PER_PAGE)
    except ValueError:
        return api_error("INVALID_DATA", {"param_name": "page"})
    if page < 1:
        return api_error("INVALID_DATA", {"param_name": "page"})
    if not 1 <= per_page <= MAX_PER_PAGE:
        return api_error(
            "INVALID_DATA", {"param_name": "per_page", "maximum_length": MAX_PER_PAGE}
        )
    sort_by = request.param("sort_by") or "id"
    sort_order = request.param("sort_order") or "desc"
    if sort_by not in SORT_FIELDS:
        return api_error(
            "INVALID_DATA",
            {"param_name": "sort_by", "supported_values": list(SORT_FIELDS)},
        )
    if sort_order not in ("asc", "desc"):
        return api_error(
            "INVALID_DATA",
            {"param_name": "sort_order", "supported_values": ["asc", "desc"]},
        )
    # NOTE: page_token paging (needed past 2,000 records at Zoho) is not served;
    # the seeded org is far smaller.
    return page, per_page, sort_by, sort_order


def _select(request: Request, state: State, module: str) -> list[dict[str, Any]]:
    rows = list(state["records"][module].values())
    ids = request.param("ids")
    if ids:
        wanted = {part.strip() for part in ids.split(",")}
        rows = [row for row in rows if row["id"] in wanted]
    return rows


def _sort_key(row: dict[str, Any], sort_by: str) -> Any:
    if sort_by == "id":
        return int(row["id"])
    return parse_time(row[sort_by])


def _not_modified_since(request: Request, stored: dict[str, Any]) -> bool:
    header = request.header("If-Modified-Since")
    if not header:
        return False
    try:
        since: datetime = parse_header_time(header)
    except ValueError:
        return False
    return parse_time(stored["Modified_Time"]) <= since
