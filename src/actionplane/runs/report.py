"""Gather everything stored about a run into one report for show and export."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from actionplane.runs.approvals import required_approvals
from actionplane.runs.journal import subject_of
from actionplane.runs.lifecycle import exit_code_for
from actionplane.state import redact
from actionplane.state.base import StateStore
from actionplane.state.clock import format_time
from actionplane.state.models import Approval, AuditEvent, Evidence, Run

REPORT_FORMAT_VERSION = "1"


def run_summary(run: Run) -> dict[str, Any]:
    decision = run.decision or {}
    return {
        "id": run.id,
        "status": run.status,
        "dry_run": run.dry_run,
        "connector": run.connector,
        "object": run.object,
        "record_id": run.record_id,
        "actor": {"id": run.actor_id, "kind": run.actor_kind},
        "route": decision.get("route"),
        "revision": run.revision_serial,
        "digest": run.digest,
        "created_at": format_time(run.created_at),
        "updated_at": format_time(run.updated_at),
    }


def approval_view(run: Run, approval: Approval, now: datetime) -> dict[str, Any]:
    expired = approval.expires_at is not None and approval.expires_at <= now
    if approval.decision == "reject":
        standing = "rejection"
    elif approval.digest != run.digest:
        standing = "stale digest"
    else:
        standing = "expired" if expired else "valid"
    return {
        "approver": approval.approver,
        "decision": approval.decision,
        "reason": approval.reason,
        "digest": approval.digest,
        "created_at": format_time(approval.created_at),
        "expires_at": format_time(approval.expires_at) if approval.expires_at else None,
        "standing": standing,
    }


def evidence_view(item: Evidence) -> dict[str, Any]:
    return {
        "seq": item.seq,
        "kind": item.kind,
        "name": item.name,
        "created_at": format_time(item.created_at),
        "content": item.content,
    }


def audit_view(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": format_time(event.at),
        "kind": event.kind,
        "actor": event.actor,
        "subject": event.subject,
        "payload": event.payload,
        "hash": event.hash,
    }


def run_report(state: StateStore, run: Run, now: datetime) -> dict[str, Any]:
    """Return the run's request, preview, decision, approvals, evidence and audit.

    Everything passes through ``redact`` once more, so a report never carries a
    credential even if one reached the store.
    """
    transitions = [
        {
            "from": t.from_status,
            "to": t.to_status,
            "at": format_time(t.at),
        }
        for t in state.run_transitions(run.id)
    ]
    report = {
        "format_version": REPORT_FORMAT_VERSION,
        "run": run_summary(run),
        "exit_code": exit_code_for(run),
        "request": run.request,
        "preview": run.preview,
        "decision": run.decision,
        "required_approvals": required_approvals(run),
        "approvals": [approval_view(run, a, now) for a in state.list_approvals(run.id)],
        "transitions": transitions,
        "result": run.result,
        "evidence": [evidence_view(item) for item in state.list_evidence(run.id)],
        "audit": [
            audit_view(e) for e in state.audit_events(subject=subject_of(run.id))
        ],
    }
    redacted: dict[str, Any] = redact(report)
    return redacted
