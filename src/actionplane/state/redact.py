"""Defensive redaction of credentials in data bound for state, logs or output.

Callers should never pass secrets in the first place. ``redact`` is the last line of
defence: it replaces the values of credential-named keys and strings that look like
Zoho credentials, and leaves everything else unchanged.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[REDACTED]"

# Keys compared after lower-casing and dropping "_" and "-", so "refresh_token",
# "refreshToken" and "Refresh-Token" all match.
_SECRET_KEYS = frozenset(
    {
        "accesstoken",
        "refreshtoken",
        "idtoken",
        "clientsecret",
        "authorization",
        "proxyauthorization",
        "password",
        "apikey",
        "token",
        "secret",
    }
)

# Zoho access tokens in Zoho's samples have the shape 1000.<32 hex>.<32 hex>. Lengths
# are kept loose so that a truncated or longer token is still caught.
_ZOHO_TOKEN = re.compile(r"\b1000\.[0-9a-fA-F]{16,}\.[0-9a-fA-F]{16,}\b")
# The 16-character minimum keeps prose such as "Basic plan" intact.
_AUTH_SCHEME = re.compile(
    r"\b(Zoho-oauthtoken|Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{16,}", re.I
)
# OAuth parameters in a URL query or a form body.
_SECRET_PARAM = re.compile(
    r"\b(access_token|refresh_token|client_secret|code|token)=[^&\s\"']+", re.I
)
# A whole-value ${ENV_VAR} reference names a secret without containing it, and config
# snapshots must keep it so that they still match their digest.
_ENV_REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")


# One search over all three shapes lets the common, clean string skip the rewrites.
_ANY_SECRET = re.compile(
    "|".join(f"(?:{p.pattern})" for p in (_ZOHO_TOKEN, _AUTH_SCHEME, _SECRET_PARAM)),
    re.I,
)


def redact(value: Any) -> Any:
    """Return a copy of ``value`` with credentials replaced by ``[REDACTED]``.

    Walks mappings, lists and tuples. Tuples come back as lists, as JSON would store
    them. Values that are not strings or containers are returned as they are.
    """
    # Concrete types first: this runs on every stored value, and ABC checks are slow.
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {key: _redact_item(key, item) for key, item in value.items()}
    if value is None or isinstance(value, int | float):
        return value
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _redact_item(key, item) for key, item in value.items()}
    return value


def redact_text(text: str) -> str:
    if _ANY_SECRET.search(text) is None:
        return text
    text = _ZOHO_TOKEN.sub(REDACTED, text)
    text = _AUTH_SCHEME.sub(lambda match: f"{match.group(1)} {REDACTED}", text)
    return _SECRET_PARAM.sub(lambda match: f"{match.group(1)}={REDACTED}", text)


@functools.lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    return key.lower().replace("_", "").replace("-", "") in _SECRET_KEYS


def _redact_item(key: Any, item: Any) -> Any:
    if not (isinstance(key, str) and is_secret_key(key)):
        return redact(item)
    if item is None or item == "":
        return item
    if isinstance(item, str) and _ENV_REFERENCE.fullmatch(item):
        return item
    return REDACTED
