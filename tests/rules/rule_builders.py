"""Build workspace model objects for rule tests without YAML files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from actionplane.config.model import (
    Connector,
    ManagedObject,
    Policy,
    Route,
    Rule,
    RuleTest,
    Workspace,
)


def connector(name: str = "zoho-sandbox", **objects: tuple[str, ...]) -> Connector:
    """Return a connector managing each keyword's object with those fields."""
    return Connector(
        name=name,
        type="zoho-crm",
        login_url="http://127.0.0.1:9/accounts",
        instance_url="http://127.0.0.1:9",
        api_version="v8",
        is_sandbox=True,
        is_enabled=True,
        client_id="${ZOHO_CLIENT_ID}",
        client_secret="${ZOHO_CLIENT_SECRET}",
        refresh_token="${ZOHO_REFRESH_TOKEN}",
        managed_objects=tuple(
            ManagedObject(object_name, object_name, tuple(fields))
            for object_name, fields in objects.items()
        ),
    )


def rule(rule_id: str, when: str, route: str = "deny", **options: Any) -> Rule:
    policy_file = options.pop("policy_file", "policies/test.yaml")
    return Rule(
        id=rule_id,
        policy_file=policy_file,
        when=when,
        route=Route(route),
        **options,
    )


def policy(
    *rules: Rule,
    default: str = "allow",
    path: str = "policies/test.yaml",
    tests: tuple[RuleTest, ...] = (),
) -> Policy:
    return Policy(path, 1, Route(default), tuple(rules), tests)


def workspace(
    *policies: Policy,
    connectors: tuple[Connector, ...] | None = None,
    root: Path | None = None,
    backend: str = "cel-expr-python",
) -> Workspace:
    if connectors is None:
        connectors = (
            connector(
                Deals=("Stage", "Amount", "Closing_Date", "Next_Step"),
                Accounts=("Phone", "Website", "Description"),
                Contacts=("Title", "Phone", "Description"),
            ),
        )
    return Workspace(
        root=root or Path("."),
        name="test-workspace",
        version=1,
        connectors=connectors,
        policies=policies,
        cel_backend=backend,
    )


def change_request(
    object_name: str = "Deals",
    kind: str = "human",
    **changes: tuple[Any, Any],
) -> dict[str, Any]:
    """Return a request changing each keyword field from before to after."""
    return {
        "object": object_name,
        "recordId": "5725767000000524157",
        "changes": {f: {"before": b, "after": a} for f, (b, a) in changes.items()},
        "actor": {"id": "avery.quinn", "kind": kind, "groups": []},
    }
