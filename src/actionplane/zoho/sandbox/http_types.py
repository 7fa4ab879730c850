"""Requests and responses as the sandbox's handlers see them, and Zoho error bodies.

Handlers are plain functions from a `Request` to a `Response`; only `server.py`
touches sockets. The error codes, HTTP statuses and messages below are the ones
Zoho CRM v8 sends.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ERRORS: dict[str, tuple[int, str]] = {
    "AUTHENTICATION_FAILURE": (401, "Authentication failed"),
    "INVALID_TOKEN": (401, "invalid oauth token"),
    "OAUTH_SCOPE_MISMATCH": (401, "invalid oauth scope to access this URL"),
    "INVALID_URL_PATTERN": (
        404,
        "Please check if the URL trying to access is a correct one",
    ),
    "INVALID_REQUEST_METHOD": (400, "The http request method type is not a valid one"),
    "INVALID_MODULE": (400, "the module name given seems to be invalid"),
    "REQUIRED_PARAM_MISSING": (400, "One of the expected parameter is missing"),
    "INVALID_DATA": (400, "invalid data"),
    "MANDATORY_NOT_FOUND": (400, "required field not found"),
    "LIMIT_EXCEEDED": (400, "count of records in your request exceeds the limit"),
    "INTERNAL_ERROR": (500, "Internal Server Error"),
    "TOO_MANY_REQUESTS": (
        429,
        "Number of API requests for the 24 hour period is exceeded or the "
        "concurrency limit of the user for the app is exceeded.",
    ),
}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes = b""
    client_host: str = "127.0.0.1"

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def json(self) -> Any:
        """Return the body parsed as JSON; raises ValueError when it is not."""
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Response:
    status: int
    body: Any = None  # JSON value, or None for an empty body
    headers: dict[str, str] = field(default_factory=dict)
    # Close the connection without sending this response.
    drop_connection: bool = False


def api_error(
    code: str, details: dict[str, Any] | None = None, *, message: str | None = None
) -> Response:
    """Return Zoho's top-level error: `{code, details, message, status: "error"}`."""
    status, default_message = ERRORS[code]
    body = {
        "code": code,
        "details": details or {},
        "message": message or default_message,
        "status": "error",
    }
    return Response(status, body)


def record_error(
    code: str, details: dict[str, Any], *, message: str = "invalid data"
) -> dict[str, Any]:
    """Return one failed item of a write's `data` array."""
    return {"code": code, "details": details, "message": message, "status": "error"}
