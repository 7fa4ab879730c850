"""Cross-check the mutable run tables against the hash-chained audit trail.

The ``runs``, ``run_transitions`` and ``approvals`` tables are updated in place,
so the hash chain cannot show an edit to them. Every change to those tables is
written in the same transaction as an audit entry about the run, so the entries
of a run determine what its rows must contain:

- ``run.submitted`` records the requester, target, mode, revision, digest,
  first status and a digest of the stored decision. Every later status change records ``from``, ``to`` and the
  digest.
- ``run.approved`` and ``run.approval_added`` record one approval, and
  ``run.rejected`` one rejection, each by the entry's actor.
- An entry written with evidence records the ``seq`` and digest of each
  evidence item stored in its transaction.

A row that disagrees with those entries was changed outside actionplane. The
digest is also recomputed from the stored request, before values and revision,
and the preview's changes must equal the request's, because execution writes
the preview's after values.

Revisions are append-only through SQLite triggers, but a trigger can be
dropped. Each revision's config and metadata digests are therefore recomputed
from its stored config snapshot and compared with the stored digests and with
the ``config.applied`` entry that recorded them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from actionplane.errors import RunError, StateError
from actionplane.runs.applied import revision_digest_mismatches
from actionplane.runs.journal import EVIDENCE_DIGESTS, evidence_digest, subject_of
from actionplane.runs.lifecycle import PREVIEWED
from actionplane.runs.preview import before_values, rule_changes, run_digest
from actionplane.state.audit_chain import content_digest
from actionplane.state.base import StateStore
from actionplane.state.clock import format_time
from actionplane.state.models import Approval, AuditEvent, Evidence, Revision, Run
from actionplane.state.redact import redact

SUBMITTED = "run.submitted"
# Audit kinds that record one row of the approvals table, with its decision.
APPROVAL_KINDS = {
    "run.approved": "approve",
    "run.approval_added": "approve",
    "run.rejected": "reject",
}
_RUN_SUBJECT_PREFIX = subject_of("")
CONFIG_APPLIED = "config.applied"
_REVISION_SUBJECT_PREFIX = "revision/"
# Revision digests that ``config.applied`` records, under the same keys.
_APPLIED_DIGESTS = ("config_digest", "metadata_digests")

# Run columns that ``run.submitted`` records, with the payload key of each.
_SUBMITTED_COLUMNS = (
    ("connector", "connector"),
    ("object", "object"),
    ("record_id", "record_id"),
    ("dry_run", "dry_run"),
    ("actor_kind", "actor_kind"),
    ("revision_serial", "revision"),
    ("digest", "digest"),
)


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A stored value of a run that differs from what its audit entries record.

    ``table_value`` and ``audit_value`` are display texts. ``seq`` is the audit
    entry that records ``audit_value``, when one does. ``message`` is the whole
    finding in one sentence.
    """

    run_id: str
    table: str
    field: str
    table_value: str
    audit_value: str
    seq: int | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "table": self.table,
            "field": self.field,
            "table_value": self.table_value,
            "audit_value": self.audit_value,
            "seq": self.seq,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class RevisionDisagreement:
    """A digest of a revision that differs from its snapshot or its audit entry.

    ``stored_value`` is the value in the revisions table, ``expected_value`` the
    value recomputed from the snapshot or recorded by ``config.applied``, both
    as display texts. ``seq`` is that audit entry, when one is compared.
    """

    serial: int
    field: str
    stored_value: str
    expected_value: str
    seq: int | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "serial": self.serial,
            "field": self.field,
            "stored_value": self.stored_value,
            "expected_value": self.expected_value,
            "seq": self.seq,
            "message": self.message,
        }


def check_revisions_against_audit(
    state: StateStore,
) -> tuple[int, list[RevisionDisagreement]]:
    """Recompute each revision's digests and compare them with its audit entry.

    Returns the number of revisions checked and the disagreements.
    """
    applied: dict[int, AuditEvent] = {}
    for event in state.audit_events(kind=CONFIG_APPLIED):
        serial_text = event.subject.removeprefix(_REVISION_SUBJECT_PREFIX)
        if serial_text.isdigit():
            applied[int(serial_text)] = event

    revisions = list(reversed(state.list_revisions()))
    found: list[RevisionDisagreement] = []
    for revision in revisions:
        found.extend(_revision_problems(revision, applied.pop(revision.serial, None)))
    for serial, event in sorted(applied.items()):
        found.append(
            RevisionDisagreement(
                serial,
                "row",
                "missing",
                "present",
                event.seq,
                f"revision {serial}: audit entry #{event.seq} records that it was"
                " applied, but the revisions table has no row for it",
            )
        )
    return len(revisions), found


def _revision_problems(
    revision: Revision, event: AuditEvent | None
) -> list[RevisionDisagreement]:
    serial = revision.serial
    found = [
        RevisionDisagreement(
            serial,
            mismatch.field,
            _shown(mismatch.stored),
            _shown(mismatch.recomputed),
            None,
            f"revision {serial}: its config_snapshot hashes to"
            f" {_shown(mismatch.recomputed)}, but {mismatch.field} in the revisions"
            f" table is {_shown(mismatch.stored)}, so the applied configuration was"
            " changed",
        )
        for mismatch in revision_digest_mismatches(revision)
    ]
    if event is None:
        found.append(
            RevisionDisagreement(
                serial,
                "row",
                "present",
                "missing",
                None,
                f"revision {serial}: the revisions table has a row for it, but the"
                f" audit trail has no {CONFIG_APPLIED} entry for it",
            )
        )
        return found
    for key in _APPLIED_DIGESTS:
        stored = getattr(revision, key)
        if key in event.payload and stored != event.payload[key]:
            recorded = _shown(event.payload[key])
            found.append(
                RevisionDisagreement(
                    serial,
                    key,
                    _shown(stored),
                    recorded,
                    event.seq,
                    f"revision {serial}: {key} is {_shown(stored)} in the revisions"
                    f" table, but the audit trail records {recorded}"
                    f" (entry #{event.seq})",
                )
            )
    return found


def check_runs_against_audit(state: StateStore) -> tuple[int, list[Disagreement]]:
    """Compare every run and its approvals with the run's audit entries.

    Returns the number of runs checked and the disagreements, run by run.
    """
    # NOTE: reads every run and every run audit entry into memory, which is
    # fine for one workspace's runs but not for millions of them.
    events: dict[str, list[AuditEvent]] = defaultdict(list)
    for event in state.audit_events():
        if event.subject.startswith(_RUN_SUBJECT_PREFIX):
            events[event.subject.removeprefix(_RUN_SUBJECT_PREFIX)].append(event)

    runs = list(reversed(state.list_runs()))
    disagreements: list[Disagreement] = []
    for run in runs:
        disagreements.extend(_check_run(state, run, events.pop(run.id, [])))
    for run_id, orphaned in events.items():
        seq = orphaned[0].seq
        disagreements.append(
            Disagreement(
                run_id,
                "runs",
                "row",
                "missing",
                "present",
                seq,
                f"run {run_id}: the audit trail records it (entry #{seq}), but the"
                " runs table has no row for it",
            )
        )
    return len(runs), disagreements


def _check_run(
    state: StateStore, run: Run, events: list[AuditEvent]
) -> list[Disagreement]:
    submitted = next((e for e in events if e.kind == SUBMITTED), None)
    if submitted is None:
        return [
            Disagreement(
                run.id,
                "runs",
                "row",
                "present",
                "missing",
                None,
                f"run {run.id}: the runs table has a row for it, but the audit trail"
                f" has no {SUBMITTED} entry for it",
            )
        ]
    found = _submitted_problems(run, submitted)
    found += _status_problems(state, run, submitted, events)
    found += _digest_problems(state, run, events)
    found += _approval_problems(run, state.list_approvals(run.id), events)
    found += _evidence_problems(run, state.list_evidence(run.id), events)
    return found


def _evidence_problems(
    run: Run, evidence: list[Evidence], events: list[AuditEvent]
) -> list[Disagreement]:
    """Compare evidence rows with the digests that the run's entries record.

    Runs stored before the digests were recorded have none to compare.
    """
    # NOTE: the record read before a rollback is stored without an audit entry,
    # so an edit to that item alone goes unnoticed.
    rows = {item.seq: item for item in evidence}
    found = []
    for event in events:
        for recorded in event.payload.get(EVIDENCE_DIGESTS) or []:
            seq, digest = recorded["seq"], recorded["digest"]
            item = rows.get(seq)
            stored = "missing" if item is None else evidence_digest(item)
            if stored == digest:
                continue
            label = (
                f"evidence #{seq}" if item is None else f"evidence #{seq} ({item.name})"
            )
            found.append(
                Disagreement(
                    run.id,
                    "evidence",
                    f"evidence #{seq}",
                    stored,
                    digest,
                    event.seq,
                    f"run {run.id}: {label} in the evidence table hashes to {stored},"
                    f" but audit entry #{event.seq} records {digest}",
                )
            )
    return found


def _submitted_problems(run: Run, submitted: AuditEvent) -> list[Disagreement]:
    found = []
    if run.actor_id != submitted.actor:
        found.append(
            _differs(run, "runs", "actor_id", run.actor_id, submitted.actor, submitted)
        )
    for column, key in _SUBMITTED_COLUMNS:
        if key not in submitted.payload:
            continue
        stored = getattr(run, column)
        if stored != submitted.payload[key]:
            found.append(
                _differs(run, "runs", column, stored, submitted.payload[key], submitted)
            )
    problem = _decision_problem(run, submitted)
    if problem is not None:
        found.append(problem)
    return found


def _decision_problem(run: Run, submitted: AuditEvent) -> Disagreement | None:
    """Compare the digest of the stored decision with the one ``run.submitted`` records.

    The decision names the approver groups and the number of approvals, so an
    edit to it changes who may approve. Runs submitted before the digest was
    recorded have nothing to compare.
    """
    recorded = submitted.payload.get("decision_digest")
    if recorded is None:
        return None
    stored = content_digest(run.decision)
    if stored == recorded:
        return None
    return Disagreement(
        run.id,
        "runs",
        "decision",
        stored,
        recorded,
        submitted.seq,
        f"run {run.id}: the decision in the runs table hashes to {stored}, but"
        f" audit entry #{submitted.seq} records {recorded}, so the approver groups"
        " or required approvals may have been changed",
    )


def require_audited_decision(state: StateStore, run: Run) -> None:
    """Raise RunError when the run's stored decision differs from its audited digest.

    Approving or executing such a run would follow a decision that the rules
    did not make.
    """
    submitted = state.audit_events(kind=SUBMITTED, subject=subject_of(run.id))
    if not submitted:
        return  # the cross-check in `audit verify` reports the missing entry
    problem = _decision_problem(run, submitted[0])
    if problem is not None:
        raise RunError(
            f"{problem.message}. The state store was changed outside actionplane;"
            " run `actionplane audit verify`, keep the file for investigation and"
            " restore the state from a backup."
        )


def _status_problems(
    state: StateStore, run: Run, submitted: AuditEvent, events: list[AuditEvent]
) -> list[Disagreement]:
    """Compare the status and its history with the statuses the entries record."""
    last = submitted
    recorded = submitted.payload.get("status")
    history = [PREVIEWED] if recorded == PREVIEWED else [PREVIEWED, recorded]
    for event in events:
        if event.seq > submitted.seq and "to" in event.payload:
            last = event
            recorded = event.payload["to"]
            if recorded != event.payload.get("from"):
                history.append(recorded)

    found = []
    if run.status != recorded:
        found.append(_differs(run, "runs", "status", run.status, recorded, last))
    stored_history = [t.to_status for t in state.run_transitions(run.id)]
    if stored_history != history:
        found.append(
            _differs(
                run, "run_transitions", "status history", stored_history, history, None
            )
        )
    return found


def _digest_problems(
    state: StateStore, run: Run, events: list[AuditEvent]
) -> list[Disagreement]:
    found = []
    for event in events:
        recorded = event.payload.get("digest")
        if recorded is not None and recorded != run.digest:
            found.append(_differs(run, "runs", "digest", run.digest, recorded, event))
            break

    request = run.request or {}
    preview = run.preview or {}
    changes = request.get("changes")
    if "changes" in preview and rule_changes(preview) != changes:
        found.append(
            Disagreement(
                run.id,
                "runs",
                "preview",
                _shown(rule_changes(preview)),
                _shown(changes),
                None,
                f"run {run.id}: the preview's changes differ from the request's"
                " changes, which the digest covers, so execution would write after"
                " values that nobody approved",
            )
        )
    recomputed = _recomputed_digest(state, run)
    if recomputed is not None and recomputed != run.digest:
        found.append(
            Disagreement(
                run.id,
                "runs",
                "request",
                recomputed,
                run.digest,
                None,
                f"run {run.id}: the stored request, preview and revision hash to"
                f" {recomputed}, not to the run's digest {run.digest}",
            )
        )
    return found


def _recomputed_digest(state: StateStore, run: Run) -> str | None:
    """Return the digest of the stored request, before values and revision."""
    if run.revision_serial is None or not run.preview:
        return None
    try:
        revision = state.revision(run.revision_serial)
    except StateError:
        return None  # without the revision row there is nothing to hash
    identity = {"serial": revision.serial, "config_digest": revision.config_digest}
    return run_digest(run.request, before_values(run.preview), identity)


def _approval_problems(
    run: Run, approvals: list[Approval], events: list[AuditEvent]
) -> list[Disagreement]:
    recorded = [e for e in events if e.kind in APPROVAL_KINDS]
    found = []
    for approval, event in zip(approvals, recorded, strict=False):
        found += _approval_row_problems(run, approval, event)
    for approval in approvals[len(recorded) :]:
        found.append(
            Disagreement(
                run.id,
                "approvals",
                f"approval #{approval.id}",
                f"{approval.decision} by {approval.approver}",
                "missing",
                None,
                f"run {run.id}: approval #{approval.id} ({approval.decision} by"
                f" {approval.approver}) is in the approvals table, but no audit"
                " entry records it",
            )
        )
    for event in recorded[len(approvals) :]:
        decision = f"{APPROVAL_KINDS[event.kind]} by {event.actor}"
        found.append(
            Disagreement(
                run.id,
                "approvals",
                "approval",
                "missing",
                decision,
                event.seq,
                f"run {run.id}: audit entry #{event.seq} records {decision}, but the"
                " approvals table has no row for it",
            )
        )
    return found


def _approval_row_problems(
    run: Run, approval: Approval, event: AuditEvent
) -> list[Disagreement]:
    payload = event.payload
    expires = format_time(approval.expires_at) if approval.expires_at else None
    # Audit payloads are redacted before they are stored, approval rows are not.
    checks: list[tuple[str, Any, Any]] = [
        ("approver", approval.approver, event.actor),
        ("decision", approval.decision, APPROVAL_KINDS[event.kind]),
        ("reason", redact(approval.reason), payload.get("reason", "")),
    ]
    if "digest" in payload:
        checks.append(("digest", approval.digest, payload["digest"]))
    if "expires_at" in payload:
        checks.append(("expires_at", expires, payload["expires_at"]))
    return [
        _differs(
            run,
            "approvals",
            f"approval #{approval.id} {column}",
            stored,
            recorded,
            event,
        )
        for column, stored, recorded in checks
        if stored != recorded
    ]


def _differs(
    run: Run,
    table: str,
    field: str,
    stored: Any,
    recorded: Any,
    event: AuditEvent | None,
) -> Disagreement:
    table_value = _shown(stored)
    audit_value = _shown(recorded)
    seq = None if event is None else event.seq
    entry = "" if seq is None else f" (entry #{seq})"
    return Disagreement(
        run.id,
        table,
        field,
        table_value,
        audit_value,
        seq,
        f"run {run.id}: {field} is {table_value} in the {table} table, but the"
        f" audit trail records {audit_value}{entry}",
    )


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
