"""Removal of Zoho credentials from text and data bound for logs, errors or evidence.

The client knows every secret it handles (client secret, refresh token and each
access token it receives), so ``Redactor`` replaces their exact values. Patterns for
the Authorization header and Zoho's token shape catch tokens it never saw.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[REDACTED]"

# Keys of JSON bodies and form fields whose values are credentials.
SECRET_KEYS = frozenset(
    {"access_token", "refresh_token", "client_secret", "authorization", "code"}
)
# "code" is a secret only in OAuth form bodies; in CRM JSON it is an error code.
_JSON_SECRET_KEYS = SECRET_KEYS - {"code"}

# Zoho access and refresh tokens look like 1000.<32 hex>.<32 hex>.
_ZOHO_TOKEN = re.compile(r"\b1000\.[0-9a-fA-F]{16,}\.[0-9a-fA-F]{16,}\b")
_AUTH_VALUE = re.compile(r"\b(Zoho-oauthtoken|Bearer)\s+[^\s\"',]+", re.IGNORECASE)
# Secrets shorter than this are not redacted by value, so that a test value such as
# "x" does not erase every x in a log line. Real Zoho secrets are much longer.
_MIN_SECRET_LENGTH = 6


class Redactor:
    """Replaces known secret values and token-shaped strings with ``[REDACTED]``.

    Safe to share between threads; ``add`` may be called while others redact.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        if not secret or len(secret) < _MIN_SECRET_LENGTH:
            return
        with self._lock:
            if secret not in self._secrets:
                # Longest first, so a secret that contains another is removed whole.
                ordered = sorted((*self._secrets, secret), key=len, reverse=True)
                self._secrets = tuple(ordered)

    def text(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = _AUTH_VALUE.sub(lambda match: f"{match.group(1)} {REDACTED}", text)
        return _ZOHO_TOKEN.sub(REDACTED, text)

    def value(self, value: Any) -> Any:
        """Return a redacted copy of a JSON-like value (dicts, lists, strings)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {
                key: REDACTED
                if isinstance(key, str) and key.lower() in _JSON_SECRET_KEYS
                else self.value(item)
                for key, item in value.items()
            }
        if isinstance(value, list | tuple):
            return [self.value(item) for item in value]
        return value

    def form(self, fields: Mapping[str, str]) -> dict[str, str]:
        """Return a redacted copy of OAuth form fields."""
        return {
            key: REDACTED if key.lower() in SECRET_KEYS else self.text(value)
            for key, value in fields.items()
        }

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {
            name: REDACTED if name.lower() in SECRET_KEYS else self.text(value)
            for name, value in headers.items()
        }
