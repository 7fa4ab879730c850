"""Onboarding progress that runs record: first dry run, approved write, rollback.

The steps before them (connected, validated, metadata synced) are recorded by
the connector commands. Progress is stored per connector and never billed.
"""

from __future__ import annotations

from actionplane.runs.context import RunContext
from actionplane.runs.lifecycle import EXECUTED, PREVIEWED, ROLLED_BACK
from actionplane.state.models import Run

STEP_DRY_RUN = "dry_run"
STEP_APPROVED_WRITE = "approved_write"
STEP_ROLLBACK = "rollback"
STEP_SAMPLE_RESET = "sample_reset"


def progress_step(run: Run) -> str | None:
    """Return the onboarding step a run's new status completes, if any."""
    route = (run.decision or {}).get("route")
    if run.status == PREVIEWED and run.dry_run:
        return STEP_DRY_RUN
    if run.status == EXECUTED and route == "require_approval":
        return STEP_APPROVED_WRITE
    if run.status == ROLLED_BACK:
        return STEP_ROLLBACK
    return None


def note_progress(ctx: RunContext, run: Run) -> None:
    step = progress_step(run)
    if step is None:
        return
    ctx.state.record_onboarding_step(
        run.connector,
        step,
        {"run": run.id, "object": run.object, "record": run.record_id},
    )
