"""Text renderings of runs: a command's outcome, the full report and the list."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from actionplane.plan.bundle import short_commit
from actionplane.runs.lifecycle import RunOutcome
from actionplane.state.models import Run

RENDER_FORMAT_VERSION = "1"


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """Return the count with the noun in the matching number, e.g. "1 approval"."""
    if count == 1:
        return f"1 {singular}"
    return f"{count} {plural or singular + 's'}"


def show_value(value: Any) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, dict) and "id" in value:
        name = value.get("name")
        return f"{name} ({value['id']})" if name else f"id {value['id']}"
    return json.dumps(value, ensure_ascii=False)


def table(rows: list[list[str]], indent: str = "  ") -> list[str]:
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        indent
        + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def preview_lines(preview: Mapping[str, Any] | None) -> list[str]:
    if not preview:
        return ["Preview: none"]
    if preview.get("read"):
        header = (
            f"Preview (record read at {preview.get('read_at')}, Modified_Time"
            f" {preview.get('modified_time')}):"
        )
    else:
        header = "Preview (the record was not read: the request was denied first):"
    rows = [["field", "before", "after"]]
    for change in preview.get("changes") or []:
        before = show_value(change["before"]) if preview.get("read") else "(not read)"
        rows.append([change["field"], before, show_value(change["after"])])
    lines = [header, *table(rows)]
    unchanged = preview.get("unchanged") or []
    if unchanged:
        listed = ", ".join(
            f"{u['field']} = {show_value(u['value'])}" for u in unchanged
        )
        lines.append(f"  Requested but unchanged (already the value): {listed}")
    return lines


def decision_lines(decision: Mapping[str, Any] | None) -> list[str]:
    if not decision:
        return ["Decision: none"]
    revision = decision.get("revision") or {}
    commit = short_commit(revision.get("git_commit"), "no git commit")
    lines = [
        f"Decision: {decision.get('route')} (revision {revision.get('serial')},"
        f" commit {commit}, {decision.get('backend')})"
    ]
    for entry in decision.get("trace") or []:
        where = entry.get("policy_file") or ""
        if where and entry.get("line"):
            where = f"{where}:{entry['line']}"
        rule = entry.get("rule_id") or ""
        label = " ".join(part for part in (entry["outcome"], rule, where) if part)
        lines.append(f"  - {label} -> {entry['route']}: {entry['message']}")
        if entry.get("error"):
            lines.append(f"      error: {entry['error']}")
    approvers = decision.get("approvers") or []
    if decision.get("route") == "require_approval":
        needed = decision.get("required_approvals") or 1
        qualifier = "from different people" if needed > 1 else "needed"
        lines.append(
            f"  Approvers: {', '.join(approvers) or 'none named'}"
            f" ({counted(needed, 'approval')} {qualifier})"
        )
    return lines


def run_header(run: Run) -> list[str]:
    mode = "dry run" if run.dry_run else "live"
    return [
        f"Run {run.id} ({mode}): {run.connector} {run.object} {run.record_id}",
        f"  requested by {run.actor_id} ({run.actor_kind}):"
        f" {(run.request or {}).get('reason', '')}",
        f"  status: {run.status}",
    ]


def outcome_lines(outcome: RunOutcome, *, with_preview: bool = False) -> list[str]:
    run = outcome.run
    lines = run_header(run)
    if with_preview:
        lines += ["", *preview_lines(run.preview), "", *decision_lines(run.decision)]
    lines += ["", outcome.message]
    lines += [f"  {detail}" for detail in outcome.details]
    for step in outcome.next_steps:
        lines.append(f"Next: {step}")
    lines.append(
        f"Evidence: actionplane run show {run.id}"
        f"  |  actionplane run export {run.id} --out DIR"
    )
    return lines


def outcome_json(outcome: RunOutcome) -> dict[str, Any]:
    run = outcome.run
    return {
        "format_version": RENDER_FORMAT_VERSION,
        "run": {
            "id": run.id,
            "status": run.status,
            "dry_run": run.dry_run,
            "connector": run.connector,
            "object": run.object,
            "record_id": run.record_id,
            "actor": {"id": run.actor_id, "kind": run.actor_kind},
            "digest": run.digest,
            "revision": run.revision_serial,
        },
        "exit_code": outcome.exit_code,
        "message": outcome.message,
        "details": outcome.details,
        "next_steps": outcome.next_steps,
        "warnings": outcome.warnings,
        "preview": _without_record(run.preview),
        "decision": run.decision,
        "result": run.result,
    }


def _without_record(preview: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if preview is None:
        return None
    return {key: value for key, value in preview.items() if key != "record"}


def list_lines(runs: Iterable[Run]) -> list[str]:
    rows = [
        [
            "id",
            "created",
            "status",
            "mode",
            "connector",
            "object",
            "record",
            "actor",
            "route",
        ]
    ]
    for run in runs:
        rows.append(
            [
                run.id,
                run.created_at.strftime("%Y-%m-%d %H:%M:%SZ"),
                run.status,
                "dry" if run.dry_run else "live",
                run.connector,
                run.object,
                run.record_id,
                run.actor_id,
                str((run.decision or {}).get("route") or ""),
            ]
        )
    if len(rows) == 1:
        return ["No runs match."]
    return table(rows, indent="")
