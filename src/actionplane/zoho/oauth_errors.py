"""Messages for OAuth failures, each ending with what the user should do.

The messages name loginUrl, instanceUrl and the environment variables that hold
the credentials, never a credential value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actionplane.zoho import hosts
from actionplane.zoho.errors import (
    ZohoAuthError,
    ZohoDataCenterError,
    ZohoRefreshLimitError,
)

if TYPE_CHECKING:
    from actionplane.config.model import Connector
    from actionplane.zoho.oauth import Credentials

# Scopes ActionPlane's calls need: records, modules and fields metadata, the
# current user and the org.
REQUIRED_SCOPES = (
    "ZohoCRM.modules.ALL,ZohoCRM.settings.modules.READ,"
    "ZohoCRM.settings.fields.READ,ZohoCRM.users.READ,ZohoCRM.org.READ"
)

# Zoho localizes the rate-limit error ("Access Denied" in English), so the block is
# also recognized by HTTP 400 with "status": "failure".
_REFRESH_LIMIT_ERRORS = frozenset({"access denied"})


def oauth_error(
    body: dict[str, Any], status: int, connector: Connector, credentials: Credentials
) -> ZohoAuthError:
    """Map an ``{"error": ...}`` token response to an error the user can act on."""
    error = _without_secrets(str(body.get("error"))[:100], credentials)
    login_url = connector.login_url
    if error == "invalid_code":
        text = _invalid_code(login_url, credentials.refresh_token_variable)
    elif error == "invalid_client":
        text = _invalid_client(connector, credentials.client_id_variable)
    elif error == "invalid_client_secret":
        text = _invalid_client_secret(login_url, credentials)
    elif _is_refresh_limit(body, status):
        return ZohoRefreshLimitError(
            error, _refresh_limit(login_url, error), None, status
        )
    else:
        text = (
            f"The Zoho accounts server {login_url} rejected the token refresh with "
            f"error '{error}' (HTTP {status}). Check {credentials.client_id_variable}, "
            f"{credentials.client_secret_variable}, "
            f"{credentials.refresh_token_variable} and loginUrl of connector "
            f"'{connector.name}'."
        )
    return ZohoAuthError(error, text, None, status)


def _without_secrets(text: str, credentials: Credentials) -> str:
    for secret in (credentials.client_secret, credentials.refresh_token):
        text = text.replace(secret, "[REDACTED]")
    return text


def _is_refresh_limit(body: dict[str, Any], status: int) -> bool:
    if status != 400:
        return False
    error = str(body.get("error", "")).lower()
    description = str(body.get("error_description", "")).lower()
    return (
        error in _REFRESH_LIMIT_ERRORS
        or "too many requests" in description
        or body.get("status") == "failure"
    )


def _invalid_code(login_url: str, variable: str) -> str:
    return (
        f"The Zoho accounts server {login_url} rejected the refresh token in "
        f"{variable} (invalid_code): it is invalid, expired or revoked. Generate "
        "a new one: in the Zoho "
        "API console of your data center (for example https://api-console.zoho.com) "
        "open the Self Client, generate a grant code with the scopes "
        f"{REQUIRED_SCOPES}, exchange it before it expires with POST "
        f"{login_url}/oauth/v2/token and the form fields "
        "grant_type=authorization_code, client_id, client_secret and code, then "
        f"set {variable} to the refresh_token of that response."
    )


def _invalid_client(connector: Connector, variable: str) -> str:
    return (
        f"The Zoho accounts server {connector.login_url} does not know the client "
        f"ID in {variable} (invalid_client). Either the client ID is wrong, or the "
        "client was registered in another data center, whose accounts server "
        "loginUrl must name (for example https://accounts.zoho.eu for EU). Check "
        f"{variable} and loginUrl of connector '{connector.name}'."
    )


def _invalid_client_secret(login_url: str, credentials: Credentials) -> str:
    return (
        f"The Zoho accounts server {login_url} rejected the client secret in "
        f"{credentials.client_secret_variable} (invalid_client_secret) for the "
        f"client ID in {credentials.client_id_variable}. Copy the client secret "
        "again from the client's page in the Zoho API console into "
        f"{credentials.client_secret_variable}."
    )


def _refresh_limit(login_url: str, error: str) -> str:
    return (
        f"The Zoho accounts server {login_url} is blocking token refreshes for this "
        f"client after too many requests ('{error}'). Do not retry now: wait 15 to "
        "30 minutes without any refresh attempt, because each attempt during the "
        "block can extend it, and stop other processes that use the same client."
    )


def data_center_error(api_domain: str, connector: Connector) -> ZohoDataCenterError:
    domain_host = hosts.host_of(api_domain)
    configured_host = hosts.host_of(connector.instance_url)
    text = (
        f"The token from {connector.login_url} is for the API domain {api_domain} "
        f"(host {domain_host}), but connector '{connector.name}' has instanceUrl "
        f"{connector.instance_url} (host {configured_host}), which is another data "
        f"center or server. {_suggest_pair(api_domain, connector)}"
    )
    return ZohoDataCenterError(
        text, configured_host=configured_host, api_domain_host=domain_host
    )


def _suggest_pair(api_domain: str, connector: Connector) -> str:
    domain_parts = hosts.api_host_parts(api_domain)
    if domain_parts is None:
        if hosts.is_loopback(api_domain) and hosts.is_loopback(connector.login_url):
            # An embedded sandbox restarted on another port, most likely.
            return f"Set instanceUrl to {api_domain}, the server that issued the token."
        # The host came from the token response, so it is not repeated as advice.
        return (
            f"{api_domain} is not a Zoho API host. Check that loginUrl "
            f"{connector.login_url} is Zoho's accounts server for your data center."
        )
    data_center = domain_parts[0]
    configured_parts = hosts.api_host_parts(connector.instance_url)
    environment = configured_parts[1] if configured_parts else "www"
    return (
        f"Use the {data_center.code} data center's pair: loginUrl "
        f"{data_center.accounts_url} and instanceUrl "
        f"{data_center.api_url(environment)}."
    )


def unexpected_token_response(status: int, connector: Connector) -> ZohoAuthError:
    return ZohoAuthError(
        "INVALID_TOKEN_RESPONSE",
        f"The Zoho accounts server {connector.login_url} answered HTTP {status} "
        "without an access token or an OAuth error. Check that loginUrl of "
        f"connector '{connector.name}' is a Zoho accounts server, for example "
        "https://accounts.zoho.com.",
        None,
        status,
    )
