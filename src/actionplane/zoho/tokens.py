"""Access tokens and their cache in the user's cache folder.

Zoho rate-limits token refreshes (a few per minute, then a block of 15 to 30
minutes), so access tokens are cached across processes until shortly before they
expire. The cache is a JSON file readable only by its owner. Its keys are SHA-256
hashes of (loginUrl, client ID, refresh token), so no secret is stored as a key.
The values contain the access tokens themselves.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

try:
    import fcntl
except ImportError:  # Windows has no fcntl; the thread lock still applies there.
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("actionplane.zoho")

CACHE_DIR_ENV = "ACTIONPLANE_CACHE_DIR"
CACHE_FILE = "zoho-tokens.json"
CACHE_FORMAT_VERSION = 1

# A token is refreshed this long before it expires, so that a call started just
# before expiry does not reach Zoho with a dead token. Short-lived tokens use a
# tenth of their lifetime instead.
REFRESH_MARGIN_SECONDS = 60.0


@dataclass(frozen=True)
class AccessToken:
    """An access token, the API domain it was issued for, and its lifetime.

    Times are Unix timestamps in seconds.
    """

    access_token: str
    api_domain: str
    issued_at: float
    expires_at: float

    def is_fresh(self, now: float) -> bool:
        lifetime = self.expires_at - self.issued_at
        margin = min(REFRESH_MARGIN_SECONDS, lifetime / 10)
        return now < self.expires_at - margin

    def __repr__(self) -> str:
        return (
            f"AccessToken(api_domain={self.api_domain!r}, "
            f"expires_at={self.expires_at!r}, access_token='[REDACTED]')"
        )


class TokenCache(Protocol):
    """Storage for access tokens, shared between calls and processes."""

    def get(self, key: str) -> AccessToken | None: ...

    def put(self, key: str, token: AccessToken) -> None: ...

    def drop(self, key: str, access_token: str) -> None:
        """Forget the token under ``key`` if it is still ``access_token``."""
        ...


def cache_key(login_url: str, client_id: str, refresh_token: str) -> str:
    material = "\0".join((login_url.rstrip("/").lower(), client_id, refresh_token))
    return hashlib.sha256(material.encode()).hexdigest()


def default_cache_dir(env: Mapping[str, str]) -> Path:
    """Return ``$ACTIONPLANE_CACHE_DIR``, else ``$XDG_CACHE_HOME/actionplane``, else
    ``~/.cache/actionplane``."""
    if env.get(CACHE_DIR_ENV):
        return Path(env[CACHE_DIR_ENV]).expanduser()
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]).expanduser() / "actionplane"
    return Path.home() / ".cache" / "actionplane"


class MemoryTokenCache:
    """A cache that lives as long as the process, for tests and one-off calls."""

    def __init__(self) -> None:
        self._tokens: dict[str, AccessToken] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> AccessToken | None:
        with self._lock:
            return self._tokens.get(key)

    def put(self, key: str, token: AccessToken) -> None:
        with self._lock:
            self._tokens[key] = token

    def drop(self, key: str, access_token: str) -> None:
        with self._lock:
            current = self._tokens.get(key)
            if current is not None and current.access_token == access_token:
                del self._tokens[key]


class FileTokenCache:
    """A JSON file of tokens, 0600 in a 0700 folder, shared by processes.

    Writes go to a temporary file that replaces the cache, under an advisory lock,
    so readers never see half a file. An unreadable or corrupt file counts as empty.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / CACHE_FILE
        self._lock = threading.Lock()

    def get(self, key: str) -> AccessToken | None:
        with self._lock:
            entry = self._read().get(key)
        return _token_from_entry(entry)

    def put(self, key: str, token: AccessToken) -> None:
        with self._lock, self._file_lock():
            entries = self._read()
            entries[key] = asdict(token)
            self._write(_drop_expired(entries, token.issued_at))

    def drop(self, key: str, access_token: str) -> None:
        with self._lock, self._file_lock():
            entries = self._read()
            entry = entries.get(key)
            if isinstance(entry, dict) and entry.get("access_token") == access_token:
                del entries[key]
                self._write(entries)

    def _read(self) -> dict[str, Any]:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as error:
            log.warning(
                "token cache %s is unreadable (%s); ignoring it", self.path, error
            )
            return {}
        self._tighten_permissions()
        try:
            document = json.loads(raw)
        except ValueError:
            log.warning("token cache %s is not valid JSON; ignoring it", self.path)
            return {}
        tokens = document.get("tokens") if isinstance(document, dict) else None
        return dict(tokens) if isinstance(tokens, dict) else {}

    def _write(self, entries: dict[str, Any]) -> None:
        document = {"format_version": CACHE_FORMAT_VERSION, "tokens": entries}
        self._ensure_directory()
        fd, temp_name = tempfile.mkstemp(prefix=".zoho-tokens-", dir=self.directory)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(document, handle, indent=2, sort_keys=True)
            os.replace(temp_name, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
            raise

    def _ensure_directory(self) -> None:
        if not self.directory.exists():
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(self.directory, 0o700)

    def _tighten_permissions(self) -> None:
        mode = self.path.stat().st_mode & 0o777
        if mode & 0o077:
            log.warning(
                "token cache %s was readable by others (mode %o); setting it to 0600",
                self.path,
                mode,
            )
            os.chmod(self.path, 0o600)

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        if fcntl is None:
            yield
            return
        self._ensure_directory()
        lock_path = self.directory / f"{CACHE_FILE}.lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def _token_from_entry(entry: Any) -> AccessToken | None:
    if not isinstance(entry, dict):
        return None
    try:
        return AccessToken(
            access_token=str(entry["access_token"]),
            api_domain=str(entry["api_domain"]),
            issued_at=float(entry["issued_at"]),
            expires_at=float(entry["expires_at"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _drop_expired(entries: dict[str, Any], now: float) -> dict[str, Any]:
    fresh = {}
    for key, entry in entries.items():
        token = _token_from_entry(entry)
        if token is not None and token.expires_at > now:
            fresh[key] = entry
    return fresh
