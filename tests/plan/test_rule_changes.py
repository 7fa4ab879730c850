"""Rule changes in a plan: what is listed and how risky it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from actionplane.config.load import load_workspace
from actionplane.config.model import Workspace
from actionplane.plan.changes import Change, diff_workspaces
from actionplane.plan.describe import describe

RULE = "large-amount-needs-approval"
DESCRIPTION = "A deal amount above 100k needs a RevOps lead to look at it."
MESSAGE = "Amounts above 100,000 need approval from a RevOps lead."


def load(root: Path) -> Workspace:
    workspace, diagnostics = load_workspace(root)
    assert not [d for d in diagnostics if d.is_error], diagnostics
    return workspace


def edit(root: Path, old: str, new: str) -> None:
    path = root / "policies" / "deals.yaml"
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} is not in deals.yaml exactly once"
    path.write_text(text.replace(old, new))


def rule_changes(workspace: Path, *edits: tuple[str, str]) -> list[Change]:
    old = load(workspace)
    for before, after in edits:
        edit(workspace, before, after)
    return [c for c in diff_workspaces(old, load(workspace)) if c.kind == "rule"]


@pytest.mark.parametrize(
    ("edits", "changed"),
    [
        ([(DESCRIPTION, "Big deals need a lead.")], ["description"]),
        ([(MESSAGE, "Big amounts need approval.")], ["message"]),
        (
            [(DESCRIPTION, "Big deals need a lead."), (MESSAGE, "Ask a lead.")],
            ["description", "message"],
        ),
    ],
    ids=["description", "message", "both"],
)
def test_wording_change_is_low_risk(workspace, edits, changed):
    [change] = rule_changes(workspace, *edits)

    assert change.subject == RULE
    assert change.risk == "low"
    assert change.details["changed"] == changed
    line = describe(change)
    assert line.summary == f"changed: {', '.join(changed)}"
    for key in changed:
        assert any(detail.startswith(f"{key}: ") for detail in line.detail)


def test_description_change_detail(workspace):
    [change] = rule_changes(workspace, (DESCRIPTION, "Big deals need a lead."))

    assert describe(change).detail == [
        f"description: {DESCRIPTION} -> Big deals need a lead."
    ]


def test_wording_with_condition_stays_medium(workspace):
    [change] = rule_changes(
        workspace,
        (DESCRIPTION, "Big deals need a lead."),
        ("> 100000.0", "> 120000.0"),
    )

    assert change.risk == "medium"
    assert change.details["changed"] == ["description", "when"]
