"""Date-times as Zoho writes them, and the sandbox's write clock.

Zoho returns date-times as `yyyy-MM-ddTHH:mm:ss±HH:mm` in the API user's time
zone, with whole seconds.
"""

from __future__ import annotations

import email.utils
from datetime import datetime, timedelta, timezone

from actionplane.zoho.sandbox.seed import USER_UTC_OFFSET

USER_ZONE = timezone(USER_UTC_OFFSET)


def format_time(moment: datetime) -> str:
    return moment.astimezone(USER_ZONE).isoformat(timespec="seconds")


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 date-time that carries an offset.

    Raises ValueError for other text, and for a time without an offset because
    Zoho cannot place it in time.
    """
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"date-time {text!r} has no UTC offset")
    return moment


def parse_header_time(text: str) -> datetime:
    """Parse an `If-Unmodified-Since` value.

    Zoho documents ISO 8601 with an offset (`2024-01-15T15:26:49+05:30`); the
    HTTP-date form (`Mon, 15 Jan 2024 09:56:49 GMT`) is accepted as well.
    """
    try:
        return parse_time(text.strip())
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"unreadable date-time {text!r}") from exc
    if moment.tzinfo is None:
        raise ValueError(f"date-time {text!r} has no UTC offset")
    return moment


def next_write_time(now: datetime, last_write: datetime | None) -> datetime:
    """Return the Modified_Time for a write made at `now`.

    Zoho's times have one-second resolution, so two writes within one second
    would get equal times and `If-Unmodified-Since` could not tell them apart.
    The sandbox instead gives every write a time at least one second after the
    previous write, which can run ahead of the wall clock under a burst.
    """
    stamp = now.astimezone(USER_ZONE).replace(microsecond=0)
    if last_write is not None and stamp <= last_write:
        stamp = last_write.astimezone(USER_ZONE) + timedelta(seconds=1)
    return stamp
