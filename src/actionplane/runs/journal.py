"""Store a run's status change, its evidence and its audit entry together.

Every step of a run goes through ``commit_step``, which writes in one state
transaction: the new status (checked against the status the caller read), the
evidence of the step, the Zoho exchanges made since the last step, and one
audit entry. A crash leaves either all of it or none of it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from actionplane.config.model import Connector
from actionplane.runs.context import RunContext, exchange_evidence, exchange_name
from actionplane.state import redact
from actionplane.state.audit_chain import canonical_json, content_digest
from actionplane.state.models import Evidence, Run

# Evidence kinds, in the order a run usually collects them.
EVIDENCE_REQUEST = "request"
EVIDENCE_RECORD = "record"
EVIDENCE_PREVIEW = "preview"
EVIDENCE_DECISION = "decision"
EVIDENCE_ZOHO = "zoho_exchange"
EVIDENCE_WRITE = "write"
EVIDENCE_READ_BACK = "read_back"
EVIDENCE_CONFLICT = "conflict"
EVIDENCE_ROLLBACK = "rollback"

# Audit payload key listing the ``seq`` and digest of each evidence item stored
# in the entry's transaction, so `audit verify` can detect an edited item.
EVIDENCE_DIGESTS = "evidence"


def subject_of(run_id: str) -> str:
    return f"run/{run_id}"


def stored_form(value: Any) -> Any:
    """Return ``value`` as the state store will give it back: redacted JSON data.

    Digests are computed over this form, so a digest recomputed from a stored
    run matches the one computed before the run was stored.
    """
    return json.loads(canonical_json(redact(value)))


def read_record(
    ctx: RunContext, connector: Connector, module: str, record_id: str
) -> dict[str, Any]:
    """Read a record live and return it in stored form.

    Comparisons with stored previews and digests need the same form on both
    sides, because redaction may have changed a value that looks like a
    credential.
    """
    record = ctx.client(connector).get_record(module, record_id)
    stored: dict[str, Any] = stored_form(record)
    return stored


@dataclass
class Step:
    """One change to a run: its new status and what to store with it.

    ``result`` entries are merged into the run's result; a None value removes
    the key. ``evidence`` contains (kind, name, content) triples.
    """

    status: str
    audit_kind: str
    actor: str
    audit: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)
    evidence: list[tuple[str, str, Any]] = field(default_factory=list)


def merged_result(run: Run, changes: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(run.result or {})
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def commit_step(ctx: RunContext, run: Run, step: Step) -> Run:
    """Apply ``step`` to ``run`` in one transaction and return the stored run.

    Raises RunStatusConflictError when another process moved the run on since
    ``run`` was read; then nothing of the step is stored.
    """
    state = ctx.state
    with state.transaction():
        updated = state.update_run_status(
            run.id, run.status, step.status, result=merged_result(run, step.result)
        )
        stored = store_evidence(ctx, run.id, step.evidence)
        audit: dict[str, Any] = {
            "from": run.status,
            "to": step.status,
            "digest": run.digest,
        }
        if stored:
            audit[EVIDENCE_DIGESTS] = stored
        state.append_audit(
            step.audit_kind, step.actor, subject_of(run.id), audit | step.audit
        )
    return updated


def store_evidence(
    ctx: RunContext, run_id: str, items: list[tuple[str, str, Any]]
) -> list[dict[str, Any]]:
    """Store the Zoho exchanges made since the last call, then ``items``.

    Exchanges come first because the items (a record as read, a write result)
    are drawn from them. Returns the ``seq`` and ``digest`` of each
    stored item, for the audit entry written in the same transaction.
    """
    stored = [
        ctx.state.add_evidence(
            run_id, EVIDENCE_ZOHO, exchange_name(exchange), exchange_evidence(exchange)
        )
        for exchange in ctx.exchanges.drain()
    ]
    stored += [
        ctx.state.add_evidence(run_id, kind, name, content)
        for kind, name, content in items
    ]
    return [{"seq": item.seq, "digest": evidence_digest(item)} for item in stored]


def evidence_digest(item: Evidence) -> str:
    """Return the digest of an evidence item's kind, name and content as stored."""
    return content_digest(
        {"kind": item.kind, "name": item.name, "content": item.content}
    )
