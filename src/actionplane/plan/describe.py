"""Words for plan changes, shared by the text and markdown renderers."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from actionplane.plan.changes import Change
from actionplane.plan.model import Plan
from actionplane.reconcile.rule_checks import RULE_TEST_FAILED

SYMBOLS = {"add": "+", "remove": "-", "change": "~"}
CATEGORY_TITLES = {
    "newly_allowed": "newly allowed",
    "newly_requires_approval": "newly requires approval",
    "newly_denied": "newly denied",
}


@dataclass(frozen=True)
class ChangeLine:
    symbol: str
    risk: str
    kind: str
    subject: str
    summary: str
    detail: list[str]


def show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def describe(change: Change) -> ChangeLine:
    symbol = SYMBOLS[change.action]
    if change.kind == "rule":
        summary, detail = _describe_rule(change)
    elif change.kind == "rule-test":
        summary, detail = (
            {"add": "new rule test", "remove": "rule test removed"}.get(
                change.action, "rule test changed"
            ),
            [],
        )
    elif change.kind == "metadata":
        summary = change.note
        detail = list(change.details.get("changes", []))
    elif change.action == "change":
        summary = f"{show(change.before)} -> {show(change.after)}"
        detail = []
    elif change.action == "add":
        summary = "added" if change.kind != "allowlist" else "field added"
        detail = []
    else:
        summary = "removed" if change.kind != "allowlist" else "field removed"
        detail = []
    if change.note and change.kind not in ("metadata",):
        summary = f"{summary}: {change.note}" if summary else change.note
    return ChangeLine(symbol, change.risk, change.kind, change.subject, summary, detail)


def _describe_rule(change: Change) -> tuple[str, list[str]]:
    if change.action == "add":
        return "", _rule_lines(change.after)
    if change.action == "remove":
        return "", _rule_lines(change.before)
    before, after = change.before or {}, change.after or {}
    changed = change.details.get("changed", [])
    detail: list[str] = []
    for key in changed:
        if key == "when":
            detail.append("when:")
            diff = difflib.unified_diff(
                str(before.get("when", "")).splitlines(),
                str(after.get("when", "")).splitlines(),
                lineterm="",
                n=1,
            )
            detail.extend("  " + line for line in list(diff)[2:])
        else:
            detail.append(f"{key}: {show(before.get(key))} -> {show(after.get(key))}")
    return f"changed: {', '.join(changed)}", detail


def _rule_lines(view: dict[str, Any] | None) -> list[str]:
    if not view:
        return []
    lines = [f"route: {view['route']}"]
    if view.get("objects"):
        lines.append(f"objects: {', '.join(view['objects'])}")
    if view.get("actorKinds"):
        lines.append(f"actorKinds: {', '.join(view['actorKinds'])}")
    if view.get("approvers"):
        lines.append(f"approvers: {', '.join(view['approvers'])}")
    lines.append("when:")
    lines.extend("  " + line for line in str(view.get("when", "")).splitlines())
    return lines


def risk_counts(plan: Plan) -> dict[str, int]:
    counts = {"high": 0, "medium": 0, "low": 0}
    for change in plan.changes:
        counts[change.risk] += 1
    return counts


def required_approvers(plan: Plan) -> list[str]:
    """Groups that the desired rules name as approvers."""
    groups: set[str] = set()
    for change in plan.changes:
        if change.kind == "rule" and change.after:
            groups.update(change.after.get("approvers") or [])
    return sorted(groups)


def desired_label(plan: Plan) -> str:
    desired = plan.desired
    if desired.ref:
        return f"git {desired.ref} ({(desired.commit or '')[:12]})"
    if desired.commit:
        suffix = ""
        if desired.dirty:
            suffix = " with uncommitted changes to " + ", ".join(desired.dirty_files)
        return f"working tree at {desired.commit[:12]}{suffix}"
    return "working tree (no git commit)"


def replayed_summary(plan: Plan) -> str:
    impact = plan.impact
    if impact is None:
        return ""
    parts = [
        f"{n} {name.replace('-', ' ')}s" for name, n in sorted(impact.replayed.items())
    ]
    return f"replayed {impact.total_replayed} requests ({', '.join(parts)})"


def failing_rule_tests(plan: Plan) -> list[tuple[str, str]]:
    """Return the (file:line, name) of each rule test the plan's checks found failing."""
    found = []
    for diagnostic in plan.diagnostics:
        if diagnostic.code != RULE_TEST_FAILED:
            continue
        location = diagnostic.location
        place = f"{location.file}:{location.line}" if location else ""
        found.append((place, str(diagnostic.extra.get("rule_test", ""))))
    return found
