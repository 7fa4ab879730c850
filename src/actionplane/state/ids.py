"""Identifiers for runs and locks: a prefix and a ULID.

A ULID is 48 bits of Unix time in milliseconds followed by 80 random bits, written in
Crockford base32 (26 characters). Ids made in different milliseconds sort by time.
"""

from __future__ import annotations

import secrets
from datetime import datetime

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_ulid(moment: datetime) -> str:
    millis = int(moment.timestamp() * 1000)
    value = (millis << 80) | secrets.randbits(80)

    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 0x1F])
        value >>= 5
    return "".join(reversed(chars))


def new_run_id(moment: datetime) -> str:
    return f"run_{new_ulid(moment)}"


def new_lock_id(moment: datetime) -> str:
    return f"lock_{new_ulid(moment)}"
