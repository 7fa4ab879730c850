"""The preview of a run (field, before, after) and the digest approvals bind to.

The digest is sha256 over canonical JSON of the request, the before value of
every requested field, and the revision (serial and config digest). An approval
stores the digest it saw, so it no longer counts once the record, the request
or the applied configuration differs from what the approver looked at.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from actionplane.state.audit_chain import canonical_json
from actionplane.zoho.writes import value_matches

PREVIEW_FORMAT_VERSION = "1"

# Fields Zoho changes on every write; a difference in them alone does not mean
# that someone else edited the record's data.
BOOKKEEPING_FIELDS = frozenset(
    {"Modified_Time", "Modified_By", "Last_Activity_Time", "Change_Log_Time__s"}
)


def same_value(expected: Any, actual: Any) -> bool:
    """Compare a value as read earlier with one read now, in Zoho's value forms.

    Zoho reads an empty field back as null, "" or [], so those count as equal.
    """
    if _is_empty(expected) or _is_empty(actual):
        return _is_empty(expected) and _is_empty(actual)
    if isinstance(expected, dict) and "id" in expected:
        return value_matches({"id": expected["id"]}, actual)
    return value_matches(expected, actual)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def build_preview(
    values: Mapping[str, Any], record: Mapping[str, Any], read_at: str
) -> dict[str, Any]:
    """Split the requested values into changes and values the record already has."""
    changes = []
    unchanged = []
    for name, after in values.items():
        before = record.get(name)
        if name in record and same_value(after, before):
            unchanged.append({"field": name, "value": before})
        else:
            changes.append({"field": name, "before": before, "after": after})
    return {
        "format_version": PREVIEW_FORMAT_VERSION,
        "read": True,
        "read_at": read_at,
        "modified_time": record.get("Modified_Time"),
        "changes": changes,
        "unchanged": unchanged,
        "record": dict(record),
    }


def unread_preview(values: Mapping[str, Any]) -> dict[str, Any]:
    """Return the preview of a request denied before the record was read."""
    return {
        "format_version": PREVIEW_FORMAT_VERSION,
        "read": False,
        "read_at": None,
        "modified_time": None,
        "changes": [
            {"field": name, "before": None, "after": after}
            for name, after in values.items()
        ],
        "unchanged": [],
        "record": None,
    }


def rule_changes(preview: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the preview's changes as the request's ``{Field: {before, after}}``."""
    return {
        change["field"]: {"before": change["before"], "after": change["after"]}
        for change in preview["changes"]
    }


def before_values(preview: Mapping[str, Any]) -> dict[str, Any]:
    """Return the before value of every requested field, changed or not."""
    values = {change["field"]: change["before"] for change in preview["changes"]}
    for item in preview["unchanged"]:
        values[item["field"]] = item["value"]
    return values


def after_values(preview: Mapping[str, Any]) -> dict[str, Any]:
    return {change["field"]: change["after"] for change in preview["changes"]}


def run_digest(
    request: Mapping[str, Any],
    before: Mapping[str, Any],
    revision: Mapping[str, Any],
) -> str:
    payload = {
        "request": request,
        "before": before,
        "revision": {
            "serial": revision["serial"],
            "config_digest": revision["config_digest"],
        },
    }
    return "sha256:" + hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def moved_fields(
    expected: Mapping[str, Any], current: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """List the fields whose current value differs from the expected one."""
    moved = []
    for name, value in expected.items():
        if not same_value(value, current.get(name)):
            moved.append(
                {"field": name, "expected": value, "current": current.get(name)}
            )
    return moved


def record_edits(
    earlier: Mapping[str, Any], current: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """List every data field that differs between two reads of one record."""
    names = [n for n in {**earlier, **current} if n not in BOOKKEEPING_FIELDS]
    return [
        {"field": name, "expected": earlier.get(name), "current": current.get(name)}
        for name in names
        if not same_value(earlier.get(name), current.get(name))
    ]
