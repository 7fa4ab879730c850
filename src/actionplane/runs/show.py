"""The text rendering of a run report: what `actionplane run show` prints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from actionplane.runs.journal import EVIDENCE_ZOHO
from actionplane.runs.render import (
    counted,
    decision_lines,
    preview_lines,
    show_value,
    table,
)


def report_lines(report: Mapping[str, Any]) -> list[str]:
    run = report["run"]
    request = report.get("request") or {}
    actor = request.get("actor") or {}
    mode = "dry run" if run["dry_run"] else "live"
    lines = [
        f"Run {run['id']} ({mode}) is {run['status']}",
        f"  target:    {run['connector']} {run['object']} {run['record_id']}",
        f"  requested: by {actor.get('id')} ({actor.get('kind')}, groups:"
        f" {', '.join(actor.get('groups') or []) or 'none'}) at {run['created_at']}",
        f"  reason:    {request.get('reason', '')}",
        f"  revision:  {run['revision']}, digest {run['digest']}",
        "",
        *preview_lines(report.get("preview")),
        "",
        *decision_lines(report.get("decision")),
    ]
    lines += _approval_lines(report)
    lines += _history_lines(report)
    lines += _write_lines(report.get("result") or {})
    lines += _exchange_lines(report.get("evidence") or [])
    lines += [
        "",
        f"{counted(len(report.get('evidence') or []), 'evidence item')} and"
        f" {counted(len(report.get('audit') or []), 'audit entry', 'audit entries')}."
        " Export them with"
        f" `actionplane run export {run['id']} --out DIR`.",
    ]
    return lines


def _approval_lines(report: Mapping[str, Any]) -> list[str]:
    approvals = report.get("approvals") or []
    needed = report.get("required_approvals") or 0
    if not approvals and not needed:
        return []
    lines = ["", f"Approvals ({needed} needed):"]
    if not approvals:
        lines.append("  none yet")
    for item in approvals:
        expiry = f", expires {item['expires_at']}" if item.get("expires_at") else ""
        lines.append(
            f"  {item['decision']} by {item['approver']} at {item['created_at']}"
            f"{expiry} [{item['standing']}]: {item['reason'] or '(no reason given)'}"
        )
    return lines


def _history_lines(report: Mapping[str, Any]) -> list[str]:
    lines = ["", "Status history:"]
    for step in report.get("transitions") or []:
        origin = step["from"] or "(created)"
        lines.append(f"  {step['at']}  {origin} -> {step['to']}")
    return lines


def _write_lines(result: Mapping[str, Any]) -> list[str]:
    lines = []
    for phase in ("execution", "rollback"):
        facts = result.get(phase)
        if not isinstance(facts, Mapping):
            continue
        lines += ["", f"{phase.capitalize()}:"]
        if facts.get("forced"):
            lines.append(f"  forced by {facts.get('by')}: {facts.get('reason')}")
        outcome = facts.get("outcome") or "not recorded"
        source = f" ({facts['source']})" if facts.get("source") else ""
        message = f": {facts['message']}" if facts.get("message") else ""
        lines.append(
            f"  write by {facts.get('by')} with If-Unmodified-Since"
            f" {facts.get('baseline')}: {outcome}{source}{message}"
        )
        if facts.get("error"):
            lines.append(f"  error: {facts['error']}")
        verification = facts.get("verification")
        if isinstance(verification, Mapping):
            lines += _verification_lines(verification)
    conflict = result.get("conflict")
    if isinstance(conflict, Mapping):
        lines += ["", f"Conflict at {conflict.get('phase')}:"]
        for item in conflict.get("fields") or []:
            lines.append(
                f"  {item['field']}: expected {show_value(item['expected'])},"
                f" found {show_value(item['current'])}"
            )
        revision = conflict.get("revision") or {}
        if revision and revision.get("decided_by") != revision.get("active"):
            lines.append(
                f"  revision {revision.get('active')} is active; revision"
                f" {revision.get('decided_by')} decided the run"
            )
    return lines


def _verification_lines(verification: Mapping[str, Any]) -> list[str]:
    if verification.get("verified"):
        return [
            f"  read-back at {verification.get('checked_at')}: every written field"
            f" matches (Modified_Time {verification.get('modified_time')})"
        ]
    lines = [f"  read-back at {verification.get('checked_at')}: MISMATCH"]
    for item in verification.get("mismatches") or []:
        lines.append(
            f"    {item['field']}: wrote {show_value(item['expected'])},"
            f" read {show_value(item['current'])}"
        )
    return lines


def _exchange_lines(evidence: list[Mapping[str, Any]]) -> list[str]:
    rows = []
    for item in evidence:
        if item["kind"] != EVIDENCE_ZOHO:
            continue
        content = item["content"]
        headers = content.get("request_headers") or {}
        # httpx reports header names in lower case.
        guard = next(
            (v for k, v in headers.items() if k.lower() == "if-unmodified-since"), None
        )
        status = content.get("status")
        rows.append(
            [
                f"#{item['seq']}",
                content.get("method", ""),
                content.get("url", ""),
                str(status)
                if status is not None
                else f"no response ({content.get('error')})",
                f"{content.get('duration_ms', 0):.1f} ms",
                f"If-Unmodified-Since {guard}" if guard else "",
            ]
        )
    if not rows:
        return []
    return ["", "Zoho exchanges (tokens redacted):", *table(rows)]
