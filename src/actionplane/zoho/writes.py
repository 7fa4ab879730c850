"""Results of record updates, and how a read-back decides whether a write landed.

A write that failed ambiguously (the connection dropped or Zoho returned 5xx after
the request was sent) is never sent again. The client reads the record back and
compares it with the values it sent; the outcome says what that comparison showed.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from actionplane.zoho.errors import ZohoApiError, error_from_item


class WriteOutcome(enum.StrEnum):
    """Whether a record update took effect.

    ``landed``: Zoho confirmed it, or the read-back shows every value sent.
    ``not_landed``: Zoho rejected it, or the read-back shows other values and no
    change after the If-Unmodified-Since time.
    ``unknown``: the read-back failed, lacked a field that was sent, or shows
    that someone else changed the record after the If-Unmodified-Since time.
    """

    LANDED = "landed"
    NOT_LANDED = "not_landed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class RecordWrite:
    """The result of updating one record.

    ``source`` is ``response`` when Zoho's per-record result decided the outcome
    and ``read_back`` when the record was read after an ambiguous failure, whose
    cause ``ambiguity`` names. ``code``, ``message`` and ``details`` are Zoho's
    per-record result (``details`` contains ``Modified_Time`` on success); ``error``
    is the typed error of a rejected record. ``read_back`` is the record as read.
    """

    record_id: str
    outcome: WriteOutcome
    source: str
    code: str | None = None
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    error: ZohoApiError | None = None
    ambiguity: str | None = None
    read_back: dict[str, Any] | None = None

    @property
    def landed(self) -> bool:
        return self.outcome is WriteOutcome.LANDED

    @property
    def modified_time(self) -> str | None:
        value = self.details.get("Modified_Time")
        if value is None and self.read_back is not None:
            value = self.read_back.get("Modified_Time")
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class BulkUpdateResult:
    """Per-record results of one bulk update, in request order.

    ``http_status`` is 200 when all succeeded, 207 when some did, 400 when none
    did, and None when the call was ambiguous or not made.
    """

    http_status: int | None
    results: list[RecordWrite]

    @property
    def all_landed(self) -> bool:
        return all(result.landed for result in self.results)

    def with_outcome(self, outcome: WriteOutcome) -> list[RecordWrite]:
        return [result for result in self.results if result.outcome is outcome]


def result_from_item(
    record_id: str, item: dict[str, Any], http_status: int, context: str
) -> RecordWrite:
    """Build the result of one record from its item in a write response's data[]."""
    details = item.get("details")
    code = item.get("code")
    result = RecordWrite(
        record_id=record_id,
        outcome=WriteOutcome.LANDED,
        source="response",
        code=str(code) if code is not None else None,
        message=str(item.get("message") or ""),
        details=details if isinstance(details, dict) else {},
    )
    if item.get("status") == "success":
        return result
    error = error_from_item(item, http_status, f"{context} (record {record_id})")
    return replace(result, outcome=WriteOutcome.NOT_LANDED, error=error)


def result_from_read_back(
    record_id: str,
    sent: dict[str, Any],
    record: dict[str, Any] | None,
    *,
    baseline: str | None,
    ambiguity: str,
    read_error: str | None = None,
) -> RecordWrite:
    """Decide the outcome of an ambiguous write from the record read afterwards."""
    if record is None:
        outcome = WriteOutcome.UNKNOWN
        message = f"{ambiguity}; the read-back failed: {read_error}"
    else:
        outcome = compare_read_back(sent, record, baseline)
        message = f"{ambiguity}; the read-back shows the write {_OUTCOME_TEXT[outcome]}"
    return RecordWrite(
        record_id=record_id,
        outcome=outcome,
        source="read_back",
        message=message,
        ambiguity=ambiguity,
        read_back=record,
    )


_OUTCOME_TEXT = {
    WriteOutcome.LANDED: "landed",
    WriteOutcome.NOT_LANDED: "did not land",
    WriteOutcome.UNKNOWN: "may or may not have landed",
}


def compare_read_back(
    sent: dict[str, Any], record: dict[str, Any], baseline: str | None
) -> WriteOutcome:
    """Compare the values sent with the record read back.

    Without ``baseline`` (the If-Unmodified-Since time) a change by someone else
    cannot be distinguished from a write that did not land, so differing values count
    as not landed.
    """
    appended = sent.get("$append_values") or {}
    fields = [name for name in sent if name != "id" and not name.startswith("$")]
    missing = [name for name in fields if name not in record]
    mismatched = [
        name
        for name in fields
        if name in record
        and not value_matches(sent[name], record[name], append=bool(appended.get(name)))
    ]
    if not mismatched and not missing:
        return WriteOutcome.LANDED
    if mismatched and not _modified_after(record.get("Modified_Time"), baseline):
        return WriteOutcome.NOT_LANDED
    return WriteOutcome.UNKNOWN


def value_matches(sent: Any, stored: Any, *, append: bool = False) -> bool:
    """Tell whether a stored value is what writing ``sent`` produces in Zoho.

    Lookups are written as ``{"id": ...}`` and read back with a name too. Numbers may
    come back as floats or strings, and date-times in the API user's time zone.
    """
    if sent is None:
        return stored in (None, "", [])
    if isinstance(sent, dict) and "id" in sent:
        return isinstance(stored, dict) and str(stored.get("id")) == str(sent["id"])
    if isinstance(sent, bool) or isinstance(stored, bool):
        return sent is stored
    if isinstance(sent, int | float):
        return _numbers_equal(sent, stored)
    if isinstance(sent, str):
        return sent == stored or _same_instant(sent, stored)
    if isinstance(sent, list):
        return isinstance(stored, list) and _lists_match(sent, stored, append)
    return bool(sent == stored)


def _numbers_equal(sent: float, stored: Any) -> bool:
    try:
        number = float(stored)
    except (TypeError, ValueError):
        return False
    return abs(float(sent) - number) <= 1e-9 * max(1.0, abs(number))


def _same_instant(sent: str, stored: Any) -> bool:
    first, second = _parse_datetime(sent), _parse_datetime(stored)
    return first is not None and second is not None and first == second


def _lists_match(sent: list[Any], stored: list[Any], append: bool) -> bool:
    if all(isinstance(item, str | int | float) for item in (*sent, *stored)):
        expected, present = Counter(sent), Counter(stored)
        return expected <= present if append else expected == present
    if append:
        return all(any(value_matches(a, b) for b in stored) for a in sent)
    return len(sent) == len(stored) and all(
        value_matches(a, b) for a, b in zip(sent, stored, strict=True)
    )


def _modified_after(modified_time: Any, baseline: str | None) -> bool:
    if baseline is None:
        return False
    modified, since = _parse_datetime(modified_time), _parse_datetime(baseline)
    if modified is None or since is None:
        return True
    return modified > since


def _parse_datetime(value: Any) -> datetime | None:
    # Only full date-times with an offset compare as instants; dates stay strings.
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def strip_dollar_keys(value: Any) -> Any:
    """Return a copy without Zoho's ``$``-prefixed keys, at every level."""
    if isinstance(value, dict):
        return {
            key: strip_dollar_keys(item)
            for key, item in value.items()
            if not (isinstance(key, str) and key.startswith("$"))
        }
    if isinstance(value, list):
        return [strip_dollar_keys(item) for item in value]
    return value
