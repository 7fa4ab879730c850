"""Render a plan as pull-request comment content: summary first, details folded.

Every value from config files or Zoho metadata goes through the escaping helpers
of `actionplane.github.markdown`, so labels holding pipes, backticks, HTML or
`@mentions` cannot break the comment or notify anyone.
"""

from __future__ import annotations

from typing import Any

from actionplane.diagnostics import Diagnostic
from actionplane.github.content import CommentContent, Section
from actionplane.github.markdown import Markdown, code_span, escape_text, table
from actionplane.plan.describe import (
    CATEGORY_TITLES,
    describe,
    desired_label,
    failing_rule_tests,
    replayed_summary,
    required_approvers,
    risk_counts,
)
from actionplane.plan.model import Plan, plan_from_dict

RISK_BADGES = {"high": "🔴 high", "medium": "🟠 medium", "low": "⚪ low"}
# The summary is never folded or split, so it lists only this many failing tests.
MAX_LISTED_TESTS = 10
# Names longer than this (in characters) are cut in the comment. The plan JSON,
# which CI keeps as an artifact, contains them in full.
MAX_NAME_CHARS = 100
ELLIPSIS = "\u2026"


def shorten(name: str, limit: int = MAX_NAME_CHARS) -> str:
    """Cut `name` to at most `limit` characters, ending the cut with an ellipsis."""
    if len(name) <= limit:
        return name
    return name[: limit - 1].rstrip() + ELLIPSIS


def fenced(text: str, language: str = "") -> str:
    """Fence `text` as a code block with a fence longer than any backtick run in it."""
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"


def comment_content(plan_data: dict[str, Any] | Plan) -> CommentContent:
    plan = plan_data if isinstance(plan_data, Plan) else plan_from_dict(plan_data)
    sections = [
        s for s in (_changes(plan), _impact(plan), _check(plan)) if s is not None
    ]
    return CommentContent(
        workspace=plan.workspace,
        title=f"ActionPlane plan: {plan.workspace}",
        summary=_summary(plan),
        sections=sections,
        footer=_footer(plan),
    )


def _summary(plan: Plan) -> str:
    tally = risk_counts(plan)
    status = "✅ check passed" if plan.valid else "❌ check failed"
    if not plan.has_changes:
        status += " · no changes"
    rows: list[list[object]] = [
        ["Base", plan.base.describe()],
        ["Desired", desired_label(plan)],
        [
            "Changes",
            f"{len(plan.changes)} ({tally['high']} high, {tally['medium']} medium, {tally['low']} low risk)",
        ],
    ]
    if plan.impact is not None:
        moved = ", ".join(
            f"{plan.impact.counts[k]} {title}" for k, title in CATEGORY_TITLES.items()
        )
        rows.append(["Decision changes", moved])
        mix = ", ".join(f"{n} {route}" for route, n in plan.impact.after_mix.items())
        rows.append(
            [
                "Decision mix (new rules)",
                f"{mix} over {plan.impact.total_replayed} requests",
            ]
        )
    failing = failing_rule_tests(plan)
    if failing:
        rows.append([f"Failing rule tests ({len(failing)})", _test_list(failing)])
    approvers = required_approvers(plan)
    if approvers:
        rows.append(
            [
                "Approver groups in changed rules",
                Markdown(", ".join(code_span(a) for a in approvers)),
            ]
        )
    return f"**{status}**\n\n" + table(["", ""], rows)


def _test_list(tests: list[tuple[str, str]]) -> Markdown:
    """List failing rule tests in one table cell, as `file:line` and the name."""
    items = [
        code_span(place) + " " + escape_text(shorten(name))
        for place, name in tests[:MAX_LISTED_TESTS]
    ]
    if len(tests) > MAX_LISTED_TESTS:
        items.append(f"and {len(tests) - MAX_LISTED_TESTS} more in Check findings")
    return Markdown("<br>".join(items))


def _changes(plan: Plan) -> Section | None:
    if not plan.changes:
        return None
    rows = []
    details: list[str] = []
    for change in plan.changes:
        line = describe(change)
        subject = shorten(line.subject)
        rows.append(
            [
                RISK_BADGES[line.risk],
                line.symbol,
                line.kind,
                code_span(subject),
                line.summary,
            ]
        )
        if line.detail:
            # A one-line label above the fence, which a split comment repeats
            # above the rest of a fence that continues in the next comment.
            label = f"{escape_text(line.kind)} {code_span(subject)}"
            details.append(
                f"{label}\n\n"
                + fenced("\n".join(line.detail), "diff" if line.kind == "rule" else "")
            )
    body = table(["risk", "", "kind", "subject", "change"], rows)
    if details:
        body = Markdown(body + "\n\n" + "\n\n".join(details))
    high = sum(1 for c in plan.changes if c.risk == "high")
    return Section(
        f"Changes ({len(plan.changes)}, {high} high risk)", body, open=high > 0
    )


def _impact(plan: Plan) -> Section | None:
    impact = plan.impact
    if impact is None:
        return None
    rows = []
    for key, title in CATEGORY_TITLES.items():
        for example in impact.examples[key]:
            rows.append(
                [
                    title,
                    shorten(example.label),
                    example.before or "nothing",
                    example.after,
                    ", ".join(example.rules) or "default route",
                ]
            )
    counts = "\n".join(
        f"- {title}: **{impact.counts[key]}**" for key, title in CATEGORY_TITLES.items()
    )
    body = f"{escape_text(replayed_summary(plan))}\n\n{counts}"
    if rows:
        body += "\n\nExamples:\n\n" + table(
            ["moved to", "request", "before", "after", "matched rules"], rows
        )
    return Section(
        f"Policy impact ({impact.moved} decision(s) change)",
        Markdown(body),
        open=impact.moved > 0,
    )


def _check(plan: Plan) -> Section | None:
    if not plan.diagnostics:
        return None
    rows = []
    for d in plan.diagnostics:
        where = str(d.location) if d.location else ""
        rows.append(
            [d.severity.value, code_span(d.code), where, _summary_of(d), d.detail]
        )
    errors = sum(1 for d in plan.diagnostics if d.is_error)
    return Section(
        f"Check findings ({errors} error(s))",
        table(["severity", "code", "location", "summary", "fix"], rows),
        open=errors > 0,
    )


def _summary_of(diagnostic: Diagnostic) -> str:
    """Return the diagnostic's summary with the rule test name it quotes shortened."""
    name = diagnostic.extra.get("rule_test")
    if not isinstance(name, str) or len(name) <= MAX_NAME_CHARS:
        return diagnostic.summary
    return diagnostic.summary.replace(repr(name), repr(shorten(name)), 1)


def _footer(plan: Plan) -> str:
    if not plan.valid:
        return "Fix the check findings, push, and the plan will be updated. Run `actionplane check` locally to see them."
    if not plan.has_changes:
        return "Nothing to apply."
    return "After merge, the apply workflow runs `actionplane apply --auto-approve` on the default branch."
