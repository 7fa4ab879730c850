"""A real plan whose comment is split keeps its details readable in every part."""

from __future__ import annotations

import re
from pathlib import Path

from actionplane.github.comment import render_comments
from actionplane.plan.make import make_plan
from actionplane.plan.markdown import comment_content

STEPS = "\n".join(
    f'        || request.changes.Next_Step.after == "step {index}"'
    for index in range(300)
)
LONG_RULE = f"""
  - id: long-rule
    description: A rule whose condition has hundreds of lines.
    object: Deals
    when: |
      "Next_Step" in request.changes && (
        request.changes.Next_Step.after == "first step"
{STEPS}
      )
    route: require_approval
    approvers: [revops-leads]
"""


def test_continued_rule_diff_names_rule(synced_workspace: Path) -> None:
    deals = synced_workspace / "policies" / "deals.yaml"
    text = deals.read_text(encoding="utf-8")
    deals.write_text(text.replace("rules:\n", "rules:" + LONG_RULE, 1))
    plan = make_plan(synced_workspace)
    assert plan.valid, plan.diagnostics

    bodies = render_comments(comment_content(plan), max_chars=6_000)

    with_rule = [body for body in bodies if 'after == "step ' in body]
    assert len(with_rule) > 1
    assert "rule `long-rule`\n\n```diff\n" in with_rule[0]
    for body in with_rule[1:]:
        continued = re.search(r"\(continued\) (.*)\n\n```diff\n", body)
        assert continued is not None, body[:500]
        assert continued.group(1) == "rule `long-rule`"
        assert body.index(continued.group(0)) < body.index('after == "step ')
