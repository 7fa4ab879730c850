"""The embedded Zoho CRM sandbox: Zoho's accounts and CRM v8 endpoints on loopback.

It is part of the product, the default target of the demo and of the tests:
pointing a connector's `loginUrl` and `instanceUrl` at `SandboxServer.url` is
all that changes. Seeded credentials and records are in `seed`.
"""

from actionplane.zoho.sandbox.options import SandboxOptionError, SandboxOptions
from actionplane.zoho.sandbox.server import SandboxServer, SandboxServerError

__all__ = [
    "SandboxOptionError",
    "SandboxOptions",
    "SandboxServer",
    "SandboxServerError",
]
