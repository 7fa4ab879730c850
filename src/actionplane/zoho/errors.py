"""Typed Zoho errors, and the parsing of Zoho's two error body shapes into them.

Zoho CRM reports an error either at the top level of the body
(``{"code", "details", "message", "status": "error"}``) or as an item of ``data[]``
in write responses. Both are turned into a ``ZohoApiError`` subclass here.

The tree under ``actionplane.errors.ZohoError``::

    ZohoApiError            Zoho or its accounts server returned an error
      ZohoAuthError         OAuth, token, scope or credential problems
        ZohoDataCenterError   the token's api_domain belongs to another data center
        ZohoRefreshLimitError refreshes are blocked for too many requests (also a
                              ZohoRateLimitError)
      ZohoRateLimitError    429 TOO_MANY_REQUESTS after the retries ran out
      ZohoConflictError     412 ALREADY_MODIFIED, carrying the current Modified_Time
      ZohoNotFoundError     the record does not exist or is not visible
      ZohoServerError       5xx after the retries ran out
    ZohoCredentialError     a credential reference is missing, unset or not a reference
    ZohoRequestError        the client rejected a request before sending it
    ZohoConnectionError     Zoho could not be reached or did not answer in time
"""

from __future__ import annotations

from typing import Any

from actionplane.errors import ZohoError


class ZohoApiError(ZohoError):
    """An error response from Zoho CRM or the Zoho accounts server.

    ``code`` is Zoho's error code (``INVALID_DATA``, ``invalid_code``, ...),
    ``details`` its ``details`` object, ``http_status`` the HTTP status (None when
    the error was raised before a response) and ``message`` the text for the user,
    which ends with what to do. ``zoho_message`` keeps Zoho's own message.
    """

    def __init__(
        self,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        http_status: int | None = None,
        *,
        zoho_message: str = "",
    ):
        super().__init__(message)
        self.code = code
        self.details = details or {}
        self.http_status = http_status
        self.zoho_message = zoho_message


class ZohoAuthError(ZohoApiError):
    """Zoho rejected the credentials, the token or its scopes."""


class ZohoDataCenterError(ZohoAuthError):
    """The token response names an API domain other than the configured instanceUrl."""

    def __init__(
        self, message: str, *, configured_host: str, api_domain_host: str
    ) -> None:
        super().__init__("DATA_CENTER_MISMATCH", message)
        self.configured_host = configured_host
        self.api_domain_host = api_domain_host


class ZohoRateLimitError(ZohoApiError):
    """Zoho kept returning 429 TOO_MANY_REQUESTS (credits or concurrency used up)."""


class ZohoRefreshLimitError(ZohoAuthError, ZohoRateLimitError):
    """The accounts server blocks token refreshes after too many requests."""


class ZohoConflictError(ZohoApiError):
    """412 ALREADY_MODIFIED: the record changed after the If-Unmodified-Since time.

    ``modified_time`` is the record's current ``Modified_Time`` from the details.
    """

    @property
    def modified_time(self) -> str | None:
        value = self.details.get("Modified_Time")
        return value if isinstance(value, str) else None

    @property
    def record_id(self) -> str | None:
        value = self.details.get("id")
        return value if isinstance(value, str) else None


class ZohoNotFoundError(ZohoApiError):
    """The record does not exist or the API user cannot see it."""


class ZohoServerError(ZohoApiError):
    """Zoho kept returning a 5xx status."""


class ZohoCredentialError(ZohoError):
    """A connector credential cannot be resolved from the environment."""


class ZohoRequestError(ZohoError):
    """A request is invalid, so the client raised before sending it."""


class ZohoConnectionError(ZohoError):
    """Zoho could not be reached, or did not answer within the timeout."""


# Hints end messages for codes whose fix does not depend on the call.
_HINTS = {
    "INVALID_TOKEN": "Check that the refresh token belongs to this org and environment.",
    "AUTHENTICATION_FAILURE": "Check loginUrl, instanceUrl and the credentials.",
    "OAUTH_SCOPE_MISMATCH": (
        "Generate a new refresh token whose grant includes the scope this call needs "
        "(for example ZohoCRM.settings.fields.READ for field metadata)."
    ),
    "NO_PERMISSION": "Give the API user's profile access to this module or field.",
    "INVALID_MODULE": "Use the module's API name, as listed by the modules API.",
    "INVALID_URL_PATTERN": "Check instanceUrl and apiVersion in connectors.yaml.",
    "TOO_MANY_REQUESTS": (
        "Lower the number of concurrent calls, or wait until API credits renew "
        "(they are counted over a rolling 24 hours)."
    ),
    "INTERNAL_ERROR": "Try again later; if it persists, contact Zoho support.",
}

_AUTH_CODES = frozenset(
    {"INVALID_TOKEN", "AUTHENTICATION_FAILURE", "OAUTH_SCOPE_MISMATCH"}
)


def error_from_item(
    item: dict[str, Any], http_status: int | None, context: str
) -> ZohoApiError:
    """Build the typed error for one Zoho error object (top level or a data[] item).

    ``context`` names the call, for example ``PUT /crm/v8/Deals/42``.
    """
    code = str(item.get("code") or "UNKNOWN_ERROR")
    zoho_message = str(item.get("message") or "")
    details = item.get("details")
    details = details if isinstance(details, dict) else {}
    text = _describe(code, zoho_message, details, http_status, context)
    cls = _error_class(code, zoho_message, details, http_status)
    return cls(code, text, details, http_status, zoho_message=zoho_message)


def error_from_body(body: Any, http_status: int, context: str) -> ZohoApiError:
    """Build the typed error for an error response in either Zoho shape."""
    if isinstance(body, dict):
        data = body.get("data")
        if isinstance(data, list) and data and isinstance(data[0], dict):
            return error_from_item(data[0], http_status, context)
        if "code" in body:
            return error_from_item(body, http_status, context)
    item = {"code": _code_for_status(http_status), "message": "no Zoho error body"}
    return error_from_item(item, http_status, context)


def _error_class(
    code: str, zoho_message: str, details: dict[str, Any], http_status: int | None
) -> type[ZohoApiError]:
    if code == "ALREADY_MODIFIED":
        return ZohoConflictError
    if code in _AUTH_CODES:
        return ZohoAuthError
    if code == "TOO_MANY_REQUESTS" or http_status == 429:
        return ZohoRateLimitError
    if code == "INVALID_DATA" and _names_record_id(zoho_message, details):
        return ZohoNotFoundError
    if http_status is not None and http_status >= 500:
        return ZohoServerError
    return ZohoApiError


def _names_record_id(zoho_message: str, details: dict[str, Any]) -> bool:
    # Zoho rejects an unknown record id with INVALID_DATA "the id given seems to be
    # invalid"; a bad field value has the same code but names that field.
    return details.get("api_name") == "id" or "id given" in zoho_message.lower()


def _describe(
    code: str,
    zoho_message: str,
    details: dict[str, Any],
    http_status: int | None,
    context: str,
) -> str:
    status = f"HTTP {http_status} " if http_status is not None else ""
    text = f"Zoho CRM rejected {context} with {status}{code}"
    if zoho_message:
        text += f": {zoho_message}"
    field = details.get("api_name")
    if isinstance(field, str) and field and field not in zoho_message:
        text += f" (field {field})"
    hint = _HINTS.get(code)
    if code == "ALREADY_MODIFIED" and details.get("Modified_Time"):
        hint = (
            f"The record was modified at {details['Modified_Time']}; read it again "
            "and build a new preview before writing."
        )
    return f"{text}. {hint}" if hint else f"{text}."


def _code_for_status(http_status: int) -> str:
    if http_status == 429:
        return "TOO_MANY_REQUESTS"
    if http_status >= 500:
        return "INTERNAL_ERROR"
    return f"HTTP_{http_status}"
