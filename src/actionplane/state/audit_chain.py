"""Hashing and verification of the append-only audit chain.

Each entry's hash is SHA-256 over the canonical JSON of the entry (seq, at, kind,
actor, subject, payload) together with the previous entry's hash. Editing, deleting,
inserting or reordering entries therefore breaks the chain at that spot. Someone who
rewrites every later entry as well is caught only by comparing the head hash with a
copy kept elsewhere, which ``verify_chain`` accepts as ``expected_head``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any, NamedTuple

from actionplane.state.models import AuditProblem, AuditVerification

GENESIS_HASH = "0" * 64


class AuditRow(NamedTuple):
    """An audit entry as stored: ``at`` is the stored time text, ``payload`` JSON text."""

    seq: int
    at: str
    kind: str
    actor: str
    subject: str
    payload: str
    prev_hash: str
    hash: str


def canonical_json(value: Any) -> str:
    """Serialize with sorted keys and no whitespace, so equal data gives equal text."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def content_digest(value: Any) -> str:
    """Return ``sha256:`` and the hex SHA-256 of the canonical JSON of ``value``.

    Audit entries record such digests of run and revision data that is stored
    in tables the chain does not cover, so ``audit verify`` can detect edits.
    """
    return "sha256:" + hashlib.sha256(canonical_json(value).encode()).hexdigest()


def entry_hash(
    seq: int, at: str, kind: str, actor: str, subject: str, payload: Any, prev_hash: str
) -> str:
    entry = {
        "seq": seq,
        "at": at,
        "kind": kind,
        "actor": actor,
        "subject": subject,
        "payload": payload,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(entry).encode()).hexdigest()


def verify_chain(
    rows: Iterable[AuditRow], *, expected_head: str | None = None
) -> AuditVerification:
    """Check stored rows, which must come in ascending seq order.

    Every problem found is reported with the seq where it shows, so one deleted entry
    yields a gap and a prev_hash mismatch on the entry after it.
    """
    problems: list[AuditProblem] = []
    previous = AuditRow(0, "", "", "", "", "", "", GENESIS_HASH)
    checked = 0

    for row in rows:
        checked += 1
        problems.extend(_link_problems(row, previous))
        problems.extend(_content_problems(row))
        previous = row

    if expected_head is not None and expected_head != previous.hash:
        problems.append(
            AuditProblem(
                previous.seq,
                f"head hash {previous.hash} is not the expected {expected_head}:"
                " entries were removed from the end or the chain was rebuilt",
            )
        )
    return AuditVerification(checked, previous.hash, tuple(problems))


def _link_problems(row: AuditRow, previous: AuditRow) -> list[AuditProblem]:
    problems = []
    if row.seq > previous.seq + 1:
        missing = f"{previous.seq + 1}..{row.seq - 1}"
        problems.append(
            AuditProblem(row.seq, f"entries {missing} are missing: they were deleted")
        )
    elif row.seq <= previous.seq:
        problems.append(
            AuditProblem(row.seq, f"seq does not increase after {previous.seq}")
        )

    if row.prev_hash != previous.hash:
        problems.append(
            AuditProblem(
                row.seq,
                f"prev_hash is not the hash of the entry before it (seq {previous.seq}):"
                " an entry was deleted, inserted or moved here",
            )
        )
    return problems


def _content_problems(row: AuditRow) -> list[AuditProblem]:
    try:
        payload = json.loads(row.payload)
    except ValueError:
        return [
            AuditProblem(row.seq, "payload is not valid JSON: the entry was edited")
        ]

    computed = entry_hash(
        row.seq, row.at, row.kind, row.actor, row.subject, payload, row.prev_hash
    )
    if computed != row.hash:
        return [
            AuditProblem(
                row.seq,
                "hash does not match the entry's contents: the entry was edited",
            )
        ]
    return []
