"""Record updates: `PUT /crm/v8/{Module}/{id}` and `PUT /crm/v8/{Module}`.

Zoho responds to a write with one result per record, in request order. The
status is 200 when every record was updated, 207 when some were, and 400 when
none were, or 412 when every failure is ALREADY_MODIFIED. A client has to read
each item's `status` either way.
"""

from __future__ import annotations

import copy
import logging
from datetime import datetime
from typing import Any

from actionplane.zoho.sandbox import seed
from actionplane.zoho.sandbox.clock import (
    format_time,
    next_write_time,
    parse_header_time,
    parse_time,
)
from actionplane.zoho.sandbox.http_types import (
    Request,
    Response,
    api_error,
    record_error,
)
from actionplane.zoho.sandbox.present import user_reference
from actionplane.zoho.sandbox.validation import (
    RECORD_ID,
    ValidatedItem,
    WriteContext,
    validate_item,
)

logger = logging.getLogger("actionplane.zoho.sandbox")

MAX_RECORDS_PER_UPDATE = 100


def update_records(
    request: Request, context: WriteContext, now: datetime, path_id: str | None = None
) -> tuple[Response, int]:
    """Apply an update request; return the response and how many records changed."""
    items = _read_items(request, path_id)
    if isinstance(items, Response):
        return items, 0
    since = _unmodified_since(request)
    if isinstance(since, Response):
        return since, 0

    alteration = context.options.alter_next_write
    results = []
    for index, item in enumerate(items):
        result = _update_one(context, item, index, since, now)
        if alteration and result["status"] == "success":
            _alter_stored_values(context, str(item["id"]), alteration)
            alteration = None
        results.append(result)
    updated = sum(1 for result in results if result["status"] == "success")
    return Response(_status(results, updated), {"data": results}), updated


def _read_items(
    request: Request, path_id: str | None
) -> list[dict[str, Any]] | Response:
    try:
        body = request.json()
    except ValueError:
        return api_error("INVALID_DATA", {"expected_data_type": "jsonobject"})
    items = body.get("data") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        return api_error(
            "MANDATORY_NOT_FOUND", {"api_name": "data", "json_path": "$.data"}
        )
    limit = 1 if path_id is not None else MAX_RECORDS_PER_UPDATE
    if len(items) > limit:
        error = record_error(
            "LIMIT_EXCEEDED",
            {"maximum_length": limit, "api_name": "data"},
            message="count of records in your request exceeds the limit",
        )
        return Response(400, {"data": [error]})
    if path_id is not None and isinstance(items[0], dict):
        items = [items[0] | {"id": path_id}]
    return items


def _unmodified_since(request: Request) -> datetime | Response | None:
    header = request.header("If-Unmodified-Since")
    if header is None:
        return None
    try:
        return parse_header_time(header)
    except ValueError:
        return api_error(
            "INVALID_DATA",
            {"param_name": "If-Unmodified-Since"},
            message="the If-Unmodified-Since header is not a valid date-time",
        )


def _update_one(
    context: WriteContext, item: Any, index: int, since: datetime | None, now: datetime
) -> dict[str, Any]:
    id_location = {"api_name": "id", "json_path": f"$.data[{index}].id"}
    if not isinstance(item, dict):
        return record_error("INVALID_DATA", {"json_path": f"$.data[{index}]"})
    if item.get("id") is None:
        return record_error(
            "MANDATORY_NOT_FOUND", id_location, message="required field not found"
        )
    record_id = str(item["id"])
    record = context.state["records"][context.module].get(record_id)
    if not RECORD_ID.fullmatch(record_id) or record is None:
        return record_error(
            "INVALID_DATA", id_location, message="the id given seems to be invalid"
        )
    if since is not None and parse_time(record["Modified_Time"]) > since:
        return record_error(
            "ALREADY_MODIFIED",
            _write_details(record),
            message="record updated time has already passed if-unmodified-since time",
        )

    validated = validate_item(context, item, index, record_id)
    if isinstance(validated, dict):
        return validated
    _apply(context, record, validated, now)
    details = _write_details(record) | {"$approval_state": "approved"}
    return {
        "code": "SUCCESS",
        "details": details,
        "message": "record updated",
        "status": "success",
    }


def _apply(
    context: WriteContext,
    record: dict[str, Any],
    validated: ValidatedItem,
    now: datetime,
) -> None:
    state = context.state
    last = state["last_write_time"]
    stamp = next_write_time(now, parse_time(last) if last else None)
    written = format_time(stamp)
    state["last_write_time"] = written

    record.update(validated.changes)
    record["Modified_Time"] = written
    record["Modified_By"] = {"id": seed.CURRENT_USER_ID}
    for name in ("Last_Activity_Time", "Change_Log_Time__s"):
        if context.catalog.field(context.module, name) is not None:
            record[name] = written

    additions = state["picklist_additions"].setdefault(context.module, {})
    for field_name, value in validated.new_picklist_values:
        values = additions.setdefault(field_name, [])
        if value not in values:
            values.append(value)


def _alter_stored_values(
    context: WriteContext, record_id: str, values: dict[str, Any]
) -> None:
    """Overwrite stored values after a write, as a Zoho workflow field update does.

    Names the module lacks are skipped and logged, because Zoho has no such
    field to store them in.
    """
    record = context.state["records"][context.module][record_id]
    for name, value in values.items():
        if context.catalog.field(context.module, name) is None:
            logger.warning(
                "sandbox did not alter %s of %s %s: the module has no such field",
                name,
                context.module,
                record_id,
            )
            continue
        record[name] = copy.deepcopy(value)
        logger.info(
            "sandbox stored an altered %s in %s %s", name, context.module, record_id
        )


def _write_details(record: dict[str, Any]) -> dict[str, Any]:
    created_by = record.get("Created_By") or {"id": seed.CURRENT_USER_ID}
    modified_by = record.get("Modified_By") or created_by
    return {
        "Modified_Time": record["Modified_Time"],
        "Modified_By": user_reference(modified_by["id"], with_email=False),
        "Created_Time": record["Created_Time"],
        "id": record["id"],
        "Created_By": user_reference(created_by["id"], with_email=False),
    }


def _status(results: list[dict[str, Any]], updated: int) -> int:
    if updated == len(results):
        return 200
    if updated > 0:
        return 207
    if all(result["code"] == "ALREADY_MODIFIED" for result in results):
        return 412
    return 400
