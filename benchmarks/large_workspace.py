"""A generated workspace over the org of `large_org`: one policy per module.

Every rule reads one allowlisted field, guarded with `in`, and every rule has
four tests whose expectations follow from the rule's template, so
`actionplane check` and `actionplane test` both pass on the generated files.
Test values are JSON flow mappings, which YAML reads with no 1.1 surprises.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from large_org import CONNECTOR, fields_of_kind, module_name

RULES_PER_MODULE = 25
GROUPS = {"revops-leads": ["dana.lee"], "data-stewards": ["lee.chen"]}

# One test case: (after value, actor kind, whether the rule matches).
Case = tuple[Any, str, bool]


@dataclass(frozen=True)
class Template:
    """A rule shape over one field kind, with four test cases."""

    kind: str
    route: str
    condition: Callable[[str, int], str]
    cases: Callable[[int], list[Case]]
    actor_kinds: tuple[str, ...] = ()


def _changed(name: str) -> str:
    return f'"{name}" in request.changes && request.changes.{name}.after != null'


TEMPLATES = (
    Template(
        "Currency",
        "require_approval",
        lambda f, n: f"{_changed(f)}\n  && request.changes.{f}.after > {n * 1000}.0",
        lambda n: [
            (n * 1000 + 1.0, "human", True),
            (n * 1000 - 1.0, "human", False),
            (n * 1000.0, "agent", False),
            (None, "human", False),
        ],
    ),
    Template(
        "Integer",
        "require_approval",
        lambda f, n: f"{_changed(f)}\n  && request.changes.{f}.after < {n}",
        lambda n: [
            (n - 1, "human", True),
            (n, "human", False),
            (n + 1, "service", False),
            (None, "human", False),
        ],
    ),
    Template(
        "Picklist",
        "deny",
        lambda f, n: (
            f'{_changed(f)}\n  && request.changes.{f}.after in ["Won", "Lost"]'
        ),
        lambda n: [
            ("Won", "agent", True),
            ("Lost", "agent", True),
            ("Review", "agent", False),
            ("Won", "human", False),
        ],
        actor_kinds=("agent",),
    ),
    Template(
        "Date",
        "deny",
        lambda f, n: f"{_changed(f)}\n  && request.changes.{f}.after < today",
        lambda n: [
            ("2001-01-01", "human", True),
            ("2000-02-29", "agent", True),
            ("2099-12-31", "human", False),
            (None, "human", False),
        ],
    ),
    Template(
        "Text",
        "require_approval",
        lambda f, n: (
            f'"{f}" in request.changes\n'
            f'  && (request.changes.{f}.after == null || request.changes.{f}.after == "")'
        ),
        lambda n: [
            (None, "human", True),
            ("", "agent", True),
            ("kept", "human", False),
            (" ", "service", False),
        ],
    ),
    Template(
        "Checkbox",
        "require_approval",
        lambda f, n: f"{_changed(f)}\n  && request.changes.{f}.after == true",
        lambda n: [
            (True, "human", True),
            (True, "agent", True),
            (False, "human", False),
            (None, "human", False),
        ],
    ),
    Template(
        "Email",
        "deny",
        lambda f, n: (
            f'{_changed(f)}\n  && request.changes.{f}.after.endsWith("@example.invalid")'
        ),
        lambda n: [
            ("a@example.invalid", "agent", True),
            ("a@example.com", "agent", False),
            ("example.invalid@acme.com", "human", False),
            (None, "human", False),
        ],
    ),
    Template(
        "Percent",
        "require_approval",
        lambda f, n: f"{_changed(f)}\n  && request.changes.{f}.after > {n % 90}.5",
        lambda n: [
            (n % 90 + 1.0, "human", True),
            (n % 90 + 0.5, "human", False),
            (0.0, "agent", False),
            (None, "human", False),
        ],
    ),
)


def rule_fields(rules: int = RULES_PER_MODULE) -> list[tuple[Template, str]]:
    """Return (template, field) for each rule of a module; every field differs."""
    chosen = []
    for index in range(rules):
        template = TEMPLATES[index % len(TEMPLATES)]
        chosen.append(
            (template, fields_of_kind(template.kind)[index // len(TEMPLATES)])
        )
    return chosen


def connectors_yaml(
    modules: int, login_url: str, instance_url: str, rules: int = RULES_PER_MODULE
) -> str:
    allowed = ", ".join(field for _, field in rule_fields(rules))
    lines = [
        "version: 1",
        "workspace: large-benchmark",
        "celBackend: cel-expr-python",
        "groups:",
        *(f"  {group}: [{', '.join(people)}]" for group, people in GROUPS.items()),
        "connectors:",
        f"  - name: {CONNECTOR}",
        "    type: zoho-crm",
        f"    loginUrl: {login_url}",
        f"    instanceUrl: {instance_url}",
        "    apiVersion: v8",
        "    isSandbox: true",
        "    isEnabled: true",
        "    clientId: ${ZOHO_CLIENT_ID}",
        "    clientSecret: ${ZOHO_CLIENT_SECRET}",
        "    refreshToken: ${ZOHO_REFRESH_TOKEN}",
        "    managedObjects:",
    ]
    for number in range(1, modules + 1):
        lines += [
            f"      - objectApiName: {module_name(number)}",
            f"        displayName: Module {number:02d}",
            f"        allowedFields: [{allowed}]",
        ]
    return "\n".join(lines) + "\n"


def policy_yaml(module_number: int, rules: int = RULES_PER_MODULE) -> str:
    module = module_name(module_number)
    rule_lines = ["version: 1", "defaultRoute: allow", "rules:"]
    test_lines = ["tests:"]
    for index, (template, field) in enumerate(rule_fields(rules)):
        number = module_number * 100 + index + 1
        rule_id = f"{module.lower().replace('_', '-')}-rule-{index + 1:02d}"
        rule_lines += _rule_lines(rule_id, module, template, field, number)
        for case_number, case in enumerate(template.cases(number), start=1):
            test_lines += _test_lines(
                rule_id, case_number, module, field, template, case
            )
    return "\n".join(rule_lines + test_lines) + "\n"


def _rule_lines(
    rule_id: str, module: str, template: Template, field: str, number: int
) -> list[str]:
    lines = [
        f"  - id: {rule_id}",
        f"    description: Generated {template.kind} rule on {field}.",
        f"    object: {module}",
    ]
    if template.actor_kinds:
        lines.append(f"    actorKinds: [{', '.join(template.actor_kinds)}]")
    lines.append("    when: |")
    lines += [
        f"      {line}" for line in template.condition(field, number).splitlines()
    ]
    lines.append(f"    route: {template.route}")
    if template.route == "require_approval":
        lines.append("    approvers: [revops-leads]")
    return lines


def _test_lines(
    rule_id: str,
    case_number: int,
    module: str,
    field: str,
    template: Template,
    case: Case,
) -> list[str]:
    after, actor_kind, matches = case
    request = {
        "object": module,
        "changes": {field: {"before": None, "after": after}},
        "actor": {"id": f"bench-{actor_kind}", "kind": actor_kind},
    }
    expect = (
        {"route": template.route, "rules": [rule_id]}
        if matches
        else {"route": "allow", "rules": []}
    )
    return [
        f"  - name: {rule_id} case {case_number}",
        f"    request: {json.dumps(request)}",
        f"    expect: {json.dumps(expect)}",
    ]


def write_workspace(
    root: Path,
    modules: int,
    *,
    login_url: str = "https://accounts.zoho.com",
    instance_url: str = "https://sandbox.zohoapis.com",
    with_policies: bool = True,
) -> None:
    """Write connectors.yaml and, with `with_policies`, one policy per module."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "connectors.yaml").write_text(
        connectors_yaml(modules, login_url, instance_url)
    )
    if not with_policies:
        return
    policies = root / "policies"
    policies.mkdir(exist_ok=True)
    for number in range(1, modules + 1):
        (policies / f"{module_name(number).lower()}.yaml").write_text(
            policy_yaml(number)
        )
