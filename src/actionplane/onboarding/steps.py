"""Onboarding steps: validate a connector's access and sync its metadata.

Each step that succeeds is recorded as onboarding progress in the state store;
onboarding steps are recorded but never billed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actionplane.config.model import Connector
from actionplane.errors import ZohoError
from actionplane.metadata.sync import Progress, SyncResult, sync_metadata
from actionplane.state.base import StateStore
from actionplane.zoho.client import ZohoClient

STEP_CONNECTED = "connected"
STEP_VALIDATED = "validated"
STEP_METADATA_SYNCED = "metadata_synced"


@dataclass
class Identity:
    user_name: str
    user_email: str
    profile: str
    role: str
    org_name: str
    org_id: str
    org_type: str
    is_sandbox_org: bool

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def read_identity(client: ZohoClient) -> Identity:
    user = client.get_current_user()
    org = client.get_org()
    org_type = str(org.get("type") or "production")
    return Identity(
        user_name=str(user.get("full_name") or user.get("email") or user.get("id")),
        user_email=str(user.get("email") or ""),
        profile=str((user.get("profile") or {}).get("name") or ""),
        role=str((user.get("role") or {}).get("name") or ""),
        org_name=str(org.get("company_name") or ""),
        org_id=str(org.get("id") or ""),
        org_type=org_type,
        is_sandbox_org=org_type == "sandbox",
    )


def validate_connector(
    connector: Connector, client: ZohoClient, state: StateStore | None
) -> Identity:
    """Check auth and instance, and that the org's kind matches `isSandbox`."""
    identity = read_identity(client)
    if identity.is_sandbox_org != connector.is_sandbox:
        expected = "a sandbox" if connector.is_sandbox else "a production"
        raise ZohoError(
            f"connector {connector.name!r} says isSandbox: {str(connector.is_sandbox).lower()}, "
            f"but {connector.instance_url} serves org {identity.org_name!r} of type "
            f"{identity.org_type!r}, not {expected} org. Fix isSandbox or instanceUrl "
            "before any write goes through this connector."
        )
    if state is not None:
        state.record_onboarding_step(
            connector.name,
            STEP_VALIDATED,
            {
                "user": identity.user_email or identity.user_name,
                "profile": identity.profile,
                "org": identity.org_name,
                "org_id": identity.org_id,
                "org_type": identity.org_type,
            },
        )
    return identity


def sync_connector(
    root: Path,
    connector: Connector,
    client: ZohoClient,
    state: StateStore | None,
    *,
    check_only: bool = False,
    progress: Progress | None = None,
) -> SyncResult:
    result = sync_metadata(
        root, connector, client, check_only=check_only, progress=progress
    )
    if state is not None and not check_only:
        state.record_onboarding_step(
            connector.name,
            STEP_METADATA_SYNCED,
            {
                "digest": result.snapshot.digest,
                "modules": sorted(
                    m for m, e in result.snapshot.modules.items() if "fields" in e
                ),
                "changed": result.changed,
            },
        )
    return result


def client_for(
    connector: Connector, env: Mapping[str, str] | None = None
) -> ZohoClient:
    import os

    if not connector.is_enabled:
        raise ZohoError(
            f"connector {connector.name!r} is disabled (isEnabled: false); set it to "
            "true in connectors.yaml before calling Zoho"
        )
    return ZohoClient(connector, env=env if env is not None else os.environ)
