"""Render a plan for a terminal, or as versioned JSON."""

from __future__ import annotations

import json
from pathlib import Path

from actionplane.diagnostics import counts, render_text
from actionplane.plan.describe import (
    CATEGORY_TITLES,
    describe,
    desired_label,
    failing_rule_tests,
    replayed_summary,
    risk_counts,
)
from actionplane.plan.model import Plan

_RISK_STYLE = {"high": "1;31", "medium": "33", "low": "2"}


def _style(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def render_json(plan: Plan) -> str:
    return json.dumps(plan.to_dict(), indent=2, sort_keys=True)


def render_plan_text(
    plan: Plan, *, root: Path, color: bool = False, next_command: str = ""
) -> str:
    lines = [
        f"ActionPlane plan for workspace {plan.workspace}",
        f"  base:    {plan.base.describe()}",
        f"  desired: {desired_label(plan)}",
        "",
    ]
    lines += _uncommitted_section(plan, color)
    lines += _changes_section(plan, color)
    lines += _impact_section(plan)
    lines += _check_section(plan, root, color)
    if next_command:
        lines += ["", f"Next: {next_command}"]
    return "\n".join(lines)


def _uncommitted_section(plan: Plan, color: bool) -> list[str]:
    desired = plan.desired
    if desired.dirty:
        warning = "Uncommitted changes to " + ", ".join(desired.dirty_files) + "."
    elif desired.commit is None:
        warning = "The workspace has no git commit."
    else:
        return []
    return [
        _style("Warning: ", "1;33", color) + warning,
        "  `actionplane apply` rejects this plan unless given --allow-uncommitted.",
        "  Commit the changes and make a new plan, so that what runs was reviewed.",
        "",
    ]


def _changes_section(plan: Plan, color: bool) -> list[str]:
    if not plan.changes:
        if plan.has_changes:
            return [
                "No configuration changes; the files differ only in formatting or comments."
            ]
        return ["No changes. The desired configuration is already active."]
    tally = risk_counts(plan)
    header = f"Changes ({len(plan.changes)}): " + ", ".join(
        f"{n} {risk}" for risk, n in tally.items() if n
    )
    lines = [header, ""]
    width = max(len(c.subject) for c in plan.changes)
    for change in plan.changes:
        line = describe(change)
        risk = _style(f"{line.risk:<6}", _RISK_STYLE[line.risk], color)
        lines.append(
            f"  {line.symbol} {risk} {line.kind:<15} {line.subject:<{width}}  {line.summary}"
        )
        lines.extend("        " + d for d in line.detail)
    return lines


def _impact_section(plan: Plan) -> list[str]:
    impact = plan.impact
    if impact is None:
        return []
    lines = ["", f"Policy impact: {replayed_summary(plan)}"]
    for key, title in CATEGORY_TITLES.items():
        lines.append(f"  {title + ':':<26}{impact.counts[key]}")
        for example in impact.examples[key][:3]:
            before = example.before or "nothing"
            lines.append(f"      {example.label} ({before} -> {example.after})")
    mix = ", ".join(f"{n} {route}" for route, n in impact.after_mix.items())
    lines.append(f"  decisions under the new rules: {mix}")
    return lines


def _check_section(plan: Plan, root: Path, color: bool) -> list[str]:
    if not plan.diagnostics:
        return ["", "Check: no problems found."]
    tally = counts(plan.diagnostics)
    lines = ["", f"Check: {tally['error']} error(s), {tally['warning']} warning(s)", ""]
    failing = failing_rule_tests(plan)
    if failing:
        lines.append(f"Failing rule tests ({len(failing)}):")
        lines += [f"  - {place} {name}" for place, name in failing]
        lines.append("")
    lines.append(render_text(plan.diagnostics, root, color=color))
    return lines
