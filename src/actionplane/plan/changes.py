"""The configuration changes between two workspaces, ranked by risk.

Risk is about what a change lets through: widening an allowlist, loosening a
route, turning a sandbox connector into a production one or moving a host is
high; narrowing and tightening are low, and so is a new description or
message of a rule. A rule change whose impact replay moves decisions to
require_approval or deny is raised to medium, or to high when it newly denies
a large share of the replayed requests. Renderers sort by risk so reviewers
see the dangerous lines first.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from actionplane.config.model import Connector, Route, Rule, Workspace
from actionplane.config.semantics import SECRET_REFERENCE, SECRET_SETTINGS
from actionplane.metadata.snapshot import Snapshot
from actionplane.plan.impact import Impact

HIGH, MEDIUM, LOW = "high", "medium", "low"
LITERAL_PLACEHOLDER = "(literal value, not shown)"
RISK_ORDER = {HIGH: 0, MEDIUM: 1, LOW: 2}
# A rule change whose replay newly denies at least this share of the replayed
# requests is high risk. Probes make up most replayed requests, so the share
# measures how much of the allowlist the rule closes, not how much traffic.
LARGE_DENY_SHARE = 0.1


@dataclass(frozen=True)
class Change:
    kind: str
    subject: str
    before: Any = None
    after: Any = None
    risk: str = LOW
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def action(self) -> str:
        if self.before is None and self.after is not None:
            return "add"
        if self.after is None and self.before is not None:
            return "remove"
        return "change"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "action": self.action,
            "subject": self.subject,
            "before": self.before,
            "after": self.after,
            "risk": self.risk,
            "note": self.note,
            **({"details": self.details} if self.details else {}),
        }


def route_direction(before: Route | None, after: Route | None) -> str:
    """Return `loosened`, `tightened` or `same` for a route moving before -> after."""
    if before is None or after is None or before == after:
        return "same"
    return "loosened" if after.rank < before.rank else "tightened"


def diff_workspaces(
    old: Workspace | None, new: Workspace, snapshots: dict[str, Snapshot] | None = None
) -> list[Change]:
    snapshots = snapshots or {}
    changes: list[Change] = []
    changes += _diff_settings(old, new)
    changes += _diff_groups(old, new)
    changes += _diff_connectors(old, new, snapshots)
    changes += _diff_rules(old, new)
    changes += _diff_default_routes(old, new)
    changes += _diff_tests(old, new)
    return sorted(changes, key=lambda c: (RISK_ORDER[c.risk], c.kind, c.subject))


def _diff_settings(old: Workspace | None, new: Workspace) -> list[Change]:
    changes = []
    before = (
        {
            "celBackend": old.cel_backend,
            "approvals.expiresAfterHours": old.approval_expiry_hours,
        }
        if old
        else {}
    )
    after = {
        "celBackend": new.cel_backend,
        "approvals.expiresAfterHours": new.approval_expiry_hours,
    }
    for key, value in after.items():
        if old is not None and before[key] != value:
            risk = MEDIUM if key == "celBackend" else LOW
            changes.append(Change("setting", key, before[key], value, risk))
    return changes


def _diff_groups(old: Workspace | None, new: Workspace) -> list[Change]:
    old_groups = old.groups if old else {}
    changes = []
    for name in sorted(set(old_groups) | set(new.groups)):
        before, after = old_groups.get(name), new.groups.get(name)
        if before == after:
            continue
        added = sorted(set(after or ()) - set(before or ()))
        note = f"new approvers: {', '.join(added)}" if added else ""
        changes.append(
            Change(
                "group",
                name,
                list(before) if before is not None else None,
                list(after) if after is not None else None,
                MEDIUM if added else LOW,
                note,
            )
        )
    return changes


_RISKY_SETTINGS = {
    "loginUrl": HIGH,
    "instanceUrl": HIGH,
    "isSandbox": HIGH,
    "isEnabled": MEDIUM,
    "apiVersion": MEDIUM,
    "clientId": MEDIUM,
    "clientSecret": MEDIUM,
    "refreshToken": MEDIUM,
    "type": HIGH,
}


def _diff_connectors(
    old: Workspace | None, new: Workspace, snapshots: dict[str, Snapshot]
) -> list[Change]:
    old_by_name = {c.name: c for c in (old.connectors if old else ())}
    new_by_name = {c.name: c for c in new.connectors}
    changes: list[Change] = []
    for name in sorted(set(old_by_name) | set(new_by_name)):
        before, after = old_by_name.get(name), new_by_name.get(name)
        if after is None:
            changes.append(
                Change(
                    "connector",
                    name,
                    _summary(before),
                    None,
                    MEDIUM,
                    "runs can no longer target this connector",
                )
            )
            continue
        if before is None:
            risk = LOW if after.is_sandbox else HIGH
            note = "sandbox connector" if after.is_sandbox else "production connector"
            changes.append(Change("connector", name, None, _summary(after), risk, note))
        else:
            changes.extend(_diff_connector_settings(before, after))
        changes.extend(_diff_allowlists(before, after, snapshots.get(name)))
    return changes


def _summary(connector: Connector | None) -> dict[str, Any] | None:
    if connector is None:
        return None
    data = _settings(connector)
    data.pop("managedObjects")
    return data


def _settings(connector: Connector) -> dict[str, Any]:
    """Return the connector's settings with literal credentials replaced.

    Plans and pull-request comments show these values. A literal credential
    that a base revision still contains must not appear in them.
    """
    data = connector.to_dict()
    for key in SECRET_SETTINGS:
        value = data.get(key)
        if isinstance(value, str) and not SECRET_REFERENCE.fullmatch(value):
            data[key] = LITERAL_PLACEHOLDER
    return data


def _diff_connector_settings(before: Connector, after: Connector) -> list[Change]:
    old, new = before.to_dict(), after.to_dict()
    shown_old, shown_new = _settings(before), _settings(after)
    changes = []
    for key, risk in _RISKY_SETTINGS.items():
        if old[key] == new[key]:
            continue
        note = ""
        if key == "isSandbox" and old[key] and not new[key]:
            note = "promotes the connector from sandbox to production"
        elif key == "isSandbox":
            risk = MEDIUM
        elif key == "isEnabled":
            note = "runs start reaching Zoho" if new[key] else "runs stop reaching Zoho"
            risk = MEDIUM if new[key] else LOW
        elif key in ("loginUrl", "instanceUrl"):
            note = "runs write to a different host"
        changes.append(
            Change(
                "connector-setting",
                f"{after.name}.{key}",
                shown_old[key],
                shown_new[key],
                risk,
                note,
            )
        )
    return changes


def _diff_allowlists(
    before: Connector | None, after: Connector, snapshot: Snapshot | None
) -> list[Change]:
    changes = []
    old_objects = {
        o.object_api_name: o for o in (before.managed_objects if before else ())
    }
    new_objects = {o.object_api_name: o for o in after.managed_objects}
    widen_risk = MEDIUM if after.is_sandbox else HIGH
    for obj in sorted(set(old_objects) | set(new_objects)):
        old_fields = (
            set(old_objects[obj].allowed_fields) if obj in old_objects else set()
        )
        new_fields = (
            set(new_objects[obj].allowed_fields) if obj in new_objects else set()
        )
        if obj not in old_objects and before is not None:
            changes.append(
                Change("managed-object", f"{after.name}.{obj}", None, obj, widen_risk)
            )
        if obj not in new_objects:
            changes.append(
                Change("managed-object", f"{after.name}.{obj}", obj, None, LOW)
            )
        for name in sorted(new_fields - old_fields):
            entry = snapshot.field(obj, name) if snapshot else None
            field_type = entry.get("dataType") if entry else "unknown"
            changes.append(
                Change(
                    "allowlist",
                    f"{after.name}.{obj}.{name}",
                    None,
                    name,
                    widen_risk,
                    f"widens the allowlist ({field_type} field)",
                    {"dataType": field_type},
                )
            )
        for name in sorted(old_fields - new_fields):
            changes.append(
                Change(
                    "allowlist",
                    f"{after.name}.{obj}.{name}",
                    name,
                    None,
                    LOW,
                    "narrows the allowlist",
                )
            )
    return changes


def _rule_view(rule: Rule) -> dict[str, Any]:
    return {
        "route": rule.route.value,
        "when": rule.when.strip(),
        "objects": list(rule.objects),
        "connectors": list(rule.connectors),
        "actorKinds": list(rule.actor_kinds),
        "approvers": list(rule.approvers),
        "requiredApprovals": rule.required_approvals,
        "message": rule.message,
        "description": rule.description,
        "policy": rule.policy_file,
    }


# Rule keys that change no decision, so a change to these alone is low risk.
_WORDING_KEYS = {"message", "description", "policy"}


def _diff_rules(old: Workspace | None, new: Workspace) -> list[Change]:
    old_rules = {r.id: r for r in (old.rules if old else [])}
    new_rules = {r.id: r for r in new.rules}
    changes = []
    for rule_id in sorted(set(old_rules) | set(new_rules)):
        before, after = old_rules.get(rule_id), new_rules.get(rule_id)
        if before is None and after is not None:
            risk = LOW if after.route is not Route.ALLOW else MEDIUM
            changes.append(
                Change(
                    "rule",
                    rule_id,
                    None,
                    _rule_view(after),
                    risk,
                    f"new {after.route.value} rule",
                )
            )
        elif after is None and before is not None:
            risk = MEDIUM if before.route is not Route.ALLOW else LOW
            changes.append(
                Change(
                    "rule",
                    rule_id,
                    _rule_view(before),
                    None,
                    risk,
                    f"removes a {before.route.value} rule",
                )
            )
        elif before is not None and after is not None:
            change = _rule_change(before, after)
            if change is not None:
                changes.append(change)
    return changes


def _rule_change(before: Rule, after: Rule) -> Change | None:
    old_view, new_view = _rule_view(before), _rule_view(after)
    changed = sorted(k for k in new_view if old_view[k] != new_view[k])
    if not changed:
        return None
    direction = route_direction(before.route, after.route)
    risk = {"loosened": HIGH, "tightened": LOW}.get(direction, MEDIUM)
    note = (
        f"route {direction}: {before.route.value} -> {after.route.value}"
        if direction != "same"
        else ""
    )
    if direction == "same" and set(changed) <= _WORDING_KEYS:
        risk = LOW
    return Change(
        "rule",
        after.id,
        old_view,
        new_view,
        risk,
        note,
        {"changed": changed, "direction": direction},
    )


def _diff_default_routes(old: Workspace | None, new: Workspace) -> list[Change]:
    old_routes = {p.path: p.default_route for p in (old.policies if old else ())}
    changes = []
    for policy in new.policies:
        before = old_routes.get(policy.path)
        if before is None or before == policy.default_route:
            continue
        direction = route_direction(before, policy.default_route)
        risk = HIGH if direction == "loosened" else LOW
        changes.append(
            Change(
                "default-route",
                policy.path,
                before.value,
                policy.default_route.value,
                risk,
                f"default route {direction}",
            )
        )
    return changes


def _diff_tests(old: Workspace | None, new: Workspace) -> list[Change]:
    def key(test: Any) -> str:
        return f"{test.policy_file}: {test.name}"

    def view(test: Any) -> dict[str, Any]:
        return {
            "request": test.request,
            "record": test.record,
            "now": test.now,
            "expect": test.expect_route.value,
            "rules": test.expect_rules,
        }

    old_tests = {key(t): view(t) for t in (old.tests if old else [])}
    new_tests = {key(t): view(t) for t in new.tests}
    changes = []
    for name in sorted(set(old_tests) | set(new_tests)):
        before, after = old_tests.get(name), new_tests.get(name)
        if before != after:
            changes.append(Change("rule-test", name, before, after, LOW))
    return changes


def rate_by_impact(changes: list[Change], impact: Impact) -> list[Change]:
    """Raise the risk of rule changes whose replay moves decisions to stricter routes.

    A rule change that makes any replayed decision newly require approval or
    newly deny is at least medium risk, and high when it newly denies a large
    share of the replayed requests. The reason is added to the change's note.
    Risks are only raised, never lowered. The result is sorted like
    `diff_workspaces`.
    """
    total = impact.total_replayed
    rated = []
    for change in changes:
        tally = impact.by_rule.get(change.subject, {}) if change.kind == "rule" else {}
        denied = tally.get("newly_denied", 0)
        approval = tally.get("newly_requires_approval", 0)
        if not denied and not approval:
            rated.append(change)
            continue
        risk = HIGH if total and denied / total >= LARGE_DENY_SHARE else MEDIUM
        if RISK_ORDER[risk] > RISK_ORDER[change.risk]:
            risk = change.risk
        moved = []
        if denied:
            moved.append(f"newly denies {denied}")
        if approval:
            moved.append(f"newly requires approval for {approval}")
        reason = f"replay {' and '.join(moved)} of {total} requests"
        note = f"{change.note}; {reason}" if change.note else reason
        details = {
            **change.details,
            "impact": {"newly_denied": denied, "newly_requires_approval": approval},
        }
        rated.append(replace(change, risk=risk, note=note, details=details))
    return sorted(rated, key=lambda c: (RISK_ORDER[c.risk], c.kind, c.subject))
