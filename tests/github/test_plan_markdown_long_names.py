"""Long rule-test names are cut in the plan comment and kept whole in the plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from github_testing import HtmlSummary, render_html

from actionplane.github.comment import render_single
from actionplane.plan.make import make_plan
from actionplane.plan.markdown import MAX_NAME_CHARS, comment_content, shorten

LONG_NAME = "small amount change " + "and more words " * 200
assert len(LONG_NAME) > 3_000


def add_long_test(root: Path, route: str) -> None:
    """Add a policy whose only rule test has a 3,000-character name."""
    test_yaml = (
        "version: 1\n"
        "defaultRoute: allow\n"
        "rules: []\n"
        "tests:\n"
        f"  - name: {LONG_NAME.strip()}\n"
        "    request:\n"
        "      object: Deals\n"
        "      changes: {Amount: {before: 1000, after: 2000}}\n"
        "      actor: {id: avery.quinn, kind: human}\n"
        f"    expect: {{route: {route}}}\n"
    )
    (root / "policies" / "a-long-name.yaml").write_text(test_yaml)


def rendered_cells(body: str) -> list[str]:
    return [cell for row in HtmlSummary(render_html(body)).rows for cell in row]


def test_shorten_cuts_with_ellipsis():
    cut = shorten("x" * 500)

    assert len(cut) == MAX_NAME_CHARS
    assert cut.endswith("\u2026")
    assert shorten("short name") == "short name"
    assert shorten("x" * MAX_NAME_CHARS) == "x" * MAX_NAME_CHARS


def test_long_test_name_cut_in_tables(synced_workspace: Path) -> None:
    add_long_test(synced_workspace, "allow")
    plan = make_plan(synced_workspace)
    assert plan.valid, plan.diagnostics

    body = render_single(comment_content(plan))

    name = LONG_NAME.strip()
    assert name not in HtmlSummary(render_html(body)).plain_text()
    cells = [cell for cell in rendered_cells(body) if "small amount change and" in cell]
    assert cells, "the long rule test is in no table"
    for cell in cells:
        assert len(cell) <= MAX_NAME_CHARS
        assert cell.endswith("\u2026")
    assert name in json.dumps(plan.to_dict())


def test_failing_long_test_cut_in_summary(synced_workspace: Path) -> None:
    add_long_test(synced_workspace, "deny")
    plan = make_plan(synced_workspace)
    assert not plan.valid

    body = render_single(comment_content(plan))

    name = LONG_NAME.strip()
    rendered = HtmlSummary(render_html(body))
    assert name not in rendered.plain_text()
    [listed] = [row for row in rendered.rows if row[0] == "Failing rule tests (1)"]
    assert listed[1] == f"policies/a-long-name.yaml:5 {shorten(name)}"
    [finding] = [row for row in rendered.rows if row[:2] == ["error", "test.failed"]]
    assert finding[3] == (
        f"rule test {shorten(name)!r} fails: expected route deny, got allow"
    )
    assert name in json.dumps(plan.to_dict())


@pytest.mark.parametrize("length", [MAX_NAME_CHARS, MAX_NAME_CHARS + 1])
def test_shorten_boundary(length: int) -> None:
    assert len(shorten("y" * length)) == MAX_NAME_CHARS
