"""The sandbox's mutable state, kept in memory or in a JSON file.

The state holds records, picklist values added by writes, the write clock and
the OAuth grants. Tokens and codes are stored only as SHA-256 digests, so the
state file never contains a usable credential. With a file, every change is
written atomically (temporary file, fsync, rename) with owner-only
permissions, and a file replaced by another process (`actionplane sandbox
reset --state FILE`) is read again before the next request.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from actionplane.errors import ActionPlaneError
from actionplane.zoho.sandbox import seed
from actionplane.zoho.sandbox.catalog import load_data

FORMAT_VERSION = 1
State = dict[str, Any]


class SandboxStateError(ActionPlaneError):
    """The sandbox state file cannot be read or written."""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def seeded_state() -> State:
    """Return a fresh copy of the seeded state."""
    records: dict[str, dict[str, Any]] = {}
    for module, rows in load_data("records.json").items():
        records[module] = {row["id"]: row for row in rows}
    records["Deals"][seed.SAMPLE_DEAL_ID] = copy.deepcopy(dict(seed.SAMPLE_DEAL))
    return {
        "format_version": FORMAT_VERSION,
        "records": records,
        "picklist_additions": {},
        "last_write_time": None,
        "refresh_tokens": {
            digest(seed.REFRESH_TOKEN): {
                "client_id": seed.CLIENT_ID,
                "scope": seed.SCOPE,
            }
        },
        "grant_codes": {
            digest(seed.GRANT_CODE): {
                "client_id": seed.CLIENT_ID,
                "scope": seed.SCOPE,
                "redirect_uri": None,
                "expires_at": None,
            }
        },
        "access_tokens": {},
        "refresh_history": {},
    }


class SandboxStore:
    """Thread-safe holder of the state; use `reading()` and `transaction()`."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._signature: tuple[int, int, int] | None = None
        if path is not None and path.exists():
            self._data = self._read_file(path)
        else:
            self._data = seeded_state()
            self._save()

    @contextlib.contextmanager
    def reading(self) -> Iterator[State]:
        with self._lock:
            self._reload_if_replaced()
            yield self._data

    @contextlib.contextmanager
    def transaction(self) -> Iterator[State]:
        """Yield the state for changes and save it when the block succeeds."""
        with self._lock:
            self._reload_if_replaced()
            yield self._data
            self._save()

    def reset(self) -> None:
        with self._lock:
            self._data = seeded_state()
            self._save()

    def _reload_if_replaced(self) -> None:
        if self.path is None or not self.path.exists():
            return
        if _signature(self.path) != self._signature:
            self._data = self._read_file(self.path)

    def _read_file(self, path: Path) -> State:
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise SandboxStateError(
                f"cannot read the sandbox state file {path}: {exc}; fix or delete "
                f"it, or run `actionplane sandbox reset --state {path}`"
            ) from exc
        if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
            raise SandboxStateError(
                f"sandbox state file {path} is not in format version {FORMAT_VERSION}; "
                f"run `actionplane sandbox reset --state {path}` to reseed it"
            )
        self._signature = _signature(path)
        return data

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}."
        )
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(self._data, handle, indent=1, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except OSError as exc:
            Path(temporary).unlink(missing_ok=True)
            raise SandboxStateError(
                f"cannot write the sandbox state file {self.path}: {exc}; "
                "check that its folder exists and is writable"
            ) from exc
        self._signature = _signature(self.path)


def _signature(path: Path) -> tuple[int, int, int]:
    info = path.stat()
    return (info.st_mtime_ns, info.st_size, info.st_ino)
