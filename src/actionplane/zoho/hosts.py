"""Zoho data centers and the hosts that belong to each.

Every data center has one accounts server and one API domain, whose `sandbox.`
and `developer.` variants serve sandbox and developer orgs. The table follows the
data-center classes of Zoho's Python SDK (`zohocrmsdk8-0` 7.0.0); note Canada,
whose accounts host is `accounts.zohocloud.ca`, not `accounts.zoho.ca`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class DataCenter:
    code: str
    accounts_host: str
    api_suffix: str  # the API host without its `www.`/`sandbox.`/`developer.` prefix

    @property
    def accounts_url(self) -> str:
        return f"https://{self.accounts_host}"

    def api_url(self, environment: str = "www") -> str:
        return f"https://{environment}.{self.api_suffix}"


DATA_CENTERS = (
    DataCenter("US", "accounts.zoho.com", "zohoapis.com"),
    DataCenter("EU", "accounts.zoho.eu", "zohoapis.eu"),
    DataCenter("IN", "accounts.zoho.in", "zohoapis.in"),
    DataCenter("AU", "accounts.zoho.com.au", "zohoapis.com.au"),
    DataCenter("JP", "accounts.zoho.jp", "zohoapis.jp"),
    DataCenter("CA", "accounts.zohocloud.ca", "zohoapis.ca"),
    DataCenter("SA", "accounts.zoho.sa", "zohoapis.sa"),
    DataCenter("CN", "accounts.zoho.com.cn", "zohoapis.com.cn"),
)

API_ENVIRONMENTS = ("www", "sandbox", "developer")


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def is_loopback(url: str) -> bool:
    host = host_of(url)
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def data_center_of_accounts(url: str) -> DataCenter | None:
    host = host_of(url)
    for dc in DATA_CENTERS:
        if host == dc.accounts_host:
            return dc
    return None


def api_host_parts(url: str) -> tuple[DataCenter, str] | None:
    """Return the data center and environment (`www`, `sandbox`, `developer`) of an
    API URL, or None when the host is not a Zoho API host.

    The bare form (`zohoapis.com`) counts as the production (`www`) environment.
    """
    host = host_of(url)
    for dc in DATA_CENTERS:
        if host == dc.api_suffix:
            return dc, "www"
        for environment in API_ENVIRONMENTS:
            if host == f"{environment}.{dc.api_suffix}":
                return dc, environment
    return None
