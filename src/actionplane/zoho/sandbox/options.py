"""Switches that make the sandbox slow, strict or faulty for tests and demos."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from actionplane.errors import UsageError

UNKNOWN_FIELD_MODES = ("reject", "ignore")


class SandboxOptionError(UsageError):
    """A sandbox switch was given an unknown name or an invalid value."""


@dataclass(frozen=True)
class SandboxOptions:
    """Switches of one sandbox server; change them with `SandboxServer.configure`.

    Counters that a switch starts (calls toward `rate_limit_after`, the random
    sequence of `error_rate`) restart whenever that switch is set again.
    """

    # Delay before every accounts and CRM response, in milliseconds.
    latency_ms: int = 0
    # Respond 429 TOO_MANY_REQUESTS to every CRM call after this many calls with
    # a valid token.
    rate_limit_after: int | None = None
    # Respond 429 TOO_MANY_REQUESTS while more CRM calls than this are in flight.
    max_concurrency: int | None = None
    # Fraction (0 to 1) of CRM calls that get 500 INTERNAL_ERROR, drawn from a
    # random sequence seeded with `error_seed` so runs repeat exactly.
    error_rate: float = 0.0
    error_seed: int = 0
    # Respond 500 INTERNAL_ERROR to the next N CRM reads (GET); counts down.
    fail_next_reads: int = 0
    # Apply the next record write, then close the connection without a response.
    drop_next_write: bool = False
    # Field values (API name to stored value) that the next record write to land
    # stores in place of the written ones, as a Zoho workflow field update would.
    # The write still returns 200 SUCCESS, so only a read-back shows the change.
    # Values are stored as given, without the checks a write gets. Of a bulk
    # write, only the first record updated is altered. Cleared once used.
    alter_next_write: dict[str, Any] | None = None
    # `api_domain` sent in token responses instead of the server's own URL, to
    # imitate an org in another data center.
    api_domain: str | None = None
    # Send the legacy token shape: `expires_in` in milliseconds plus `expires_in_sec`.
    legacy_token_shape: bool = False
    # What a write does with a field name the module lacks: "reject" returns
    # INVALID_DATA, and "ignore" drops it silently.
    unknown_fields: str = "reject"
    # Store picklist values the field lacks and add them to its metadata,
    # instead of returning INVALID_DATA.
    accept_new_picklist_values: bool = False
    # Lifetime of access tokens, in seconds.
    token_ttl_seconds: int = 3600
    # Refreshes allowed per refresh token within `refresh_window_seconds`.
    refresh_limit: int = 10
    refresh_window_seconds: int = 600

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def updated(self, changes: Mapping[str, Any]) -> SandboxOptions:
        """Return a copy with `changes` applied, after checking names and values."""
        known = {field.name for field in dataclasses.fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise SandboxOptionError(
                f"unknown sandbox option {', '.join(unknown)}; "
                f"use one of: {', '.join(sorted(known))}"
            )
        # A copy, so the caller cannot change a stored value afterwards.
        candidate = dataclasses.replace(self, **copy.deepcopy(dict(changes)))
        candidate.validate()
        return candidate

    def validate(self) -> None:
        for name in ("latency_ms", "fail_next_reads", "error_seed"):
            _require_int(name, getattr(self, name), minimum=0)
        for name in ("token_ttl_seconds", "refresh_limit", "refresh_window_seconds"):
            _require_int(name, getattr(self, name), minimum=1)
        for name in ("rate_limit_after", "max_concurrency"):
            value = getattr(self, name)
            if value is not None:
                _require_int(
                    name, value, minimum=0 if name == "rate_limit_after" else 1
                )
        for name in (
            "drop_next_write",
            "legacy_token_shape",
            "accept_new_picklist_values",
        ):
            if not isinstance(getattr(self, name), bool):
                raise SandboxOptionError(f"sandbox option {name} must be true or false")
        _require_rate(self.error_rate)
        _require_alterations(self.alter_next_write)
        if self.unknown_fields not in UNKNOWN_FIELD_MODES:
            raise SandboxOptionError(
                f"sandbox option unknown_fields is {self.unknown_fields!r}; "
                "use 'reject' or 'ignore'"
            )
        if self.api_domain is not None:
            _require_url(self.api_domain)


def _require_int(name: str, value: Any, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SandboxOptionError(
            f"sandbox option {name} is {value!r}; use a whole number of at least {minimum}"
        )


def _require_rate(value: Any) -> None:
    valid = isinstance(value, int | float) and not isinstance(value, bool)
    if not valid or not 0.0 <= value <= 1.0:
        raise SandboxOptionError(
            f"sandbox option error_rate is {value!r}; use a number from 0 to 1"
        )


def _require_alterations(value: Any) -> None:
    if value is None:
        return
    names = list(value) if isinstance(value, dict) else []
    valid = bool(names) and all(
        isinstance(name, str) and name and name != "id" and not name.startswith("$")
        for name in names
    )
    if not valid:
        raise SandboxOptionError(
            f"sandbox option alter_next_write is invalid: {value!r}. Use null, or an"
            " object that maps field API names (other than id and $ keys) to values,"
            ' such as {"Next_Step": "Set by a workflow"}'
        )


def _require_url(value: Any) -> None:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise SandboxOptionError(
            f"sandbox option api_domain is {value!r}; use an http(s) URL such as "
            "https://www.zohoapis.eu"
        )
