"""UTC timestamps as the state store writes and reads them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_time(moment: datetime) -> str:
    """Format an aware datetime as UTC text, e.g. 2026-05-01T09:30:00.000000Z.

    The text always has six fractional digits, so text order in SQL is time order.
    """
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: pass a timezone-aware datetime")
    text = moment.astimezone(UTC).isoformat(timespec="microseconds")
    return text.removesuffix("+00:00") + "Z"


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def month_of(moment: datetime) -> str:
    """Return the UTC calendar month as YYYY-MM, the metering period."""
    return moment.astimezone(UTC).strftime("%Y-%m")
