"""The writes a run sends: its execution and its rollback."""

from __future__ import annotations

from typing import Any

from actionplane.runs.lifecycle import (
    APPROVED,
    CONFLICT,
    EXECUTED,
    EXECUTING,
    ROLLED_BACK,
    ROLLING_BACK,
)
from actionplane.runs.preview import after_values
from actionplane.runs.writer import WriteSpec
from actionplane.state.models import Run

PHASE_EXECUTION = "execution"
PHASE_ROLLBACK = "rollback"


def execution_spec(run: Run, actor: str) -> WriteSpec:
    """Write the previewed after values, guarded by the preview read's time."""
    preview = run.preview or {}
    return WriteSpec(
        phase=PHASE_EXECUTION,
        in_flight=EXECUTING,
        done=EXECUTED,
        not_sent=APPROVED,
        on_conflict=CONFLICT,
        values=after_values(preview),
        baseline=preview.get("modified_time"),
        expected_record=preview.get("record") or {},
        actor=actor,
    )


def rollback_spec(
    run: Run,
    actor: str,
    *,
    baseline: str | None,
    expected_record: dict[str, Any],
    extra: dict[str, Any],
) -> WriteSpec:
    """Write the previewed before values back; a 412 leaves the run executed."""
    preview = run.preview or {}
    values = {change["field"]: change["before"] for change in preview["changes"]}
    return WriteSpec(
        phase=PHASE_ROLLBACK,
        in_flight=ROLLING_BACK,
        done=ROLLED_BACK,
        not_sent=EXECUTED,
        on_conflict=EXECUTED,
        values=values,
        baseline=baseline,
        expected_record=expected_record,
        actor=actor,
        extra=extra,
    )


def post_write_record(run: Run) -> dict[str, Any]:
    """Return the record as read back after the execution write."""
    execution = (run.result or {}).get(PHASE_EXECUTION) or {}
    verification = execution.get("verification") or {}
    return dict(verification.get("record") or {})


def post_write_time(run: Run) -> str | None:
    execution = (run.result or {}).get(PHASE_EXECUTION) or {}
    verification = execution.get("verification") or {}
    value = verification.get("modified_time") or execution.get("modified_time")
    return value if isinstance(value, str) else None


def in_flight_spec(run: Run, actor: str) -> WriteSpec:
    """Rebuild the spec of the write a run in flight sent, from what it stored."""
    if run.status == EXECUTING:
        spec = execution_spec(run, actor)
    else:
        phase = (run.result or {}).get(PHASE_ROLLBACK) or {}
        extra = {key: phase[key] for key in ("forced", "reason") if key in phase}
        spec = rollback_spec(
            run,
            actor,
            baseline=phase.get("baseline"),
            expected_record=post_write_record(run),
            extra=extra,
        )
    stored = (run.result or {}).get(spec.phase) or {}
    if isinstance(stored.get("values"), dict):
        spec.values = stored["values"]
    if "baseline" in stored:
        spec.baseline = stored["baseline"]
    return spec
