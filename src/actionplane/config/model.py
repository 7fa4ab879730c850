"""Typed workspace model built from `connectors.yaml` and `policies/*.yaml`.

The loader fills these after schema validation, so every field here has the type
the schema promises. Locations point back into the YAML for diagnostics and for
the decision trace.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actionplane.diagnostics import Location

CONNECTORS_FILE = "connectors.yaml"
POLICIES_DIR = "policies"
METADATA_DIR = ".actionplane/metadata"

DEFAULT_CEL_BACKEND = "cel-expr-python"
CEL_BACKENDS = ("cel-expr-python", "cel-python")
CEL_BACKEND_ENV = "ACTIONPLANE_CEL_BACKEND"

DEFAULT_APPROVAL_EXPIRY_HOURS = 24


class Route(enum.StrEnum):
    """Where a request goes. The order of ``RESTRICTIVENESS`` ranks them."""

    ALLOW = "allow"
    REQUIRE_APPROVAL = "require_approval"
    DENY = "deny"

    @property
    def rank(self) -> int:
        return RESTRICTIVENESS[self]


RESTRICTIVENESS = {Route.ALLOW: 0, Route.REQUIRE_APPROVAL: 1, Route.DENY: 2}


def most_restrictive(routes: list[Route]) -> Route:
    return max(routes, key=lambda r: r.rank)


class ActorKind(enum.StrEnum):
    HUMAN = "human"
    AGENT = "agent"
    SERVICE = "service"


@dataclass(frozen=True)
class ManagedObject:
    object_api_name: str
    display_name: str
    allowed_fields: tuple[str, ...]
    location: Location | None = None
    field_locations: dict[str, Location] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Connector:
    """One configured Zoho CRM environment.

    The three secret settings hold `${ENV_VAR}` references, never the secrets.
    """

    name: str
    type: str
    login_url: str
    instance_url: str
    api_version: str
    is_sandbox: bool
    is_enabled: bool
    client_id: str
    client_secret: str
    refresh_token: str
    managed_objects: tuple[ManagedObject, ...]
    location: Location | None = None

    def managed_object(self, api_name: str) -> ManagedObject | None:
        for obj in self.managed_objects:
            if obj.object_api_name == api_name:
                return obj
        return None

    def to_dict(self) -> dict[str, Any]:
        """Return the connector in its `connectors.yaml` shape (camelCase keys)."""
        return {
            "name": self.name,
            "type": self.type,
            "loginUrl": self.login_url,
            "instanceUrl": self.instance_url,
            "apiVersion": self.api_version,
            "isSandbox": self.is_sandbox,
            "isEnabled": self.is_enabled,
            "clientId": self.client_id,
            "clientSecret": self.client_secret,
            "refreshToken": self.refresh_token,
            "managedObjects": [
                {
                    "objectApiName": obj.object_api_name,
                    "displayName": obj.display_name,
                    "allowedFields": list(obj.allowed_fields),
                }
                for obj in self.managed_objects
            ],
        }


@dataclass(frozen=True)
class Rule:
    """One CEL condition with a route.

    ``when_line`` and ``when_column`` locate the first character of the CEL source
    in the policy file, so compile errors can be mapped back to the YAML.
    """

    id: str
    policy_file: str
    when: str
    route: Route
    description: str = ""
    objects: tuple[str, ...] = ()
    connectors: tuple[str, ...] = ()
    actor_kinds: tuple[str, ...] = ()
    approvers: tuple[str, ...] = ()
    required_approvals: int = 1
    message: str = ""
    location: Location | None = None
    when_line: int = 0
    when_column: int = 0
    when_block: bool = False

    def applies_to(self, connector: str, object_name: str, actor_kind: str) -> bool:
        if self.objects and object_name not in self.objects:
            return False
        if self.connectors and connector not in self.connectors:
            return False
        return not (self.actor_kinds and actor_kind not in self.actor_kinds)


@dataclass(frozen=True)
class RuleTest:
    name: str
    policy_file: str
    request: dict[str, Any]
    record: dict[str, Any] | None
    connector: dict[str, Any] | None
    now: str | None
    expect_route: Route
    expect_rules: tuple[str, ...] | None = None
    expect_approvers: tuple[str, ...] | None = None
    expect_message: str | None = None
    location: Location | None = None


@dataclass(frozen=True)
class Policy:
    path: str
    version: int
    default_route: Route
    rules: tuple[Rule, ...]
    tests: tuple[RuleTest, ...]
    location: Location | None = None


@dataclass(frozen=True)
class Workspace:
    """A loaded config repo: connectors, approver groups, policies and settings."""

    root: Path
    name: str
    version: int
    connectors: tuple[Connector, ...]
    policies: tuple[Policy, ...]
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    cel_backend: str = DEFAULT_CEL_BACKEND
    approval_expiry_hours: int = DEFAULT_APPROVAL_EXPIRY_HOURS
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    def connector(self, name: str) -> Connector | None:
        for connector in self.connectors:
            if connector.name == name:
                return connector
        return None

    @property
    def rules(self) -> list[Rule]:
        return [rule for policy in self.policies for rule in policy.rules]

    @property
    def tests(self) -> list[RuleTest]:
        return [test for policy in self.policies for test in policy.tests]

    def groups_of(self, user: str) -> list[str]:
        return sorted(name for name, members in self.groups.items() if user in members)
