"""A real plan whose rule carries hostile text renders as safe, intact markdown."""

from __future__ import annotations

from pathlib import Path

from github_testing import MENTION, HtmlSummary, render_html

from actionplane.github.comment import render_single
from actionplane.plan.make import make_plan
from actionplane.plan.markdown import comment_content

HOSTILE = "Stage | Owner `x` <script>alert(1)</script> @everyone <!-- hidden"
HOSTILE_RULE = f"""
  - id: hostile-text-rule
    description: "{HOSTILE}"
    object: Deals
    when: |
      "Next_Step" in request.changes && request.changes.Next_Step.after == "```\\n<script>x</script>|"
    route: require_approval
    approvers: [revops-leads]
    message: "{HOSTILE}"
"""


def test_real_plan_with_hostile_rule_text(workspace: Path) -> None:
    deals = workspace / "policies" / "deals.yaml"
    text = deals.read_text(encoding="utf-8")
    deals.write_text(text.replace("rules:\n", "rules:" + HOSTILE_RULE, 1))

    body = render_single(comment_content(make_plan(workspace)))
    rendered = HtmlSummary(render_html(body))

    assert "hostile-text-rule" in rendered.plain_text()
    assert "script" not in rendered.tags
    assert not MENTION.search(rendered.plain_text())
    assert "<script>x</script>|" in rendered.plain_text()
    header = next(row for row in rendered.rows if "subject" in row)
    rule_row = next(row for row in rendered.rows if "hostile-text-rule" in row)
    assert len(rule_row) == len(header)
    assert rule_row[-1] == "new require_approval rule"
