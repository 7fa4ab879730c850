"""The promotion gate: production connectors need sandbox evidence first.

A change that turns a connector's `isSandbox` off, or adds a connector with
`isSandbox: false`, passes only when the state store holds, for each object
that connector manages, runs on a sandbox connector showing: a dry run, a live
write that was approved and verified by read-back, and a verified rollback.
"""

from __future__ import annotations

from dataclasses import dataclass

from actionplane.config.model import Connector, Workspace
from actionplane.diagnostics import Diagnostic, error
from actionplane.state.base import StateStore

EXECUTED_STATUSES = ("executed", "rolled_back")
EVIDENCE_SCAN_LIMIT = 5_000


@dataclass(frozen=True)
class ObjectEvidence:
    dry_run: bool = False
    approved_write: bool = False
    rollback: bool = False

    def missing(self) -> list[str]:
        needed = {
            "a dry run": self.dry_run,
            "an approved live write verified by read-back": self.approved_write,
            "a verified rollback": self.rollback,
        }
        return [name for name, present in needed.items() if not present]


def promoted_connectors(old: Workspace | None, new: Workspace) -> list[Connector]:
    """Connectors that are production in `new` but were not production in `old`."""
    before = {c.name: c for c in (old.connectors if old else ())}
    promoted = []
    for connector in new.connectors:
        previous = before.get(connector.name)
        if connector.is_sandbox:
            continue
        if previous is None or previous.is_sandbox:
            promoted.append(connector)
    return promoted


def sandbox_evidence(
    state: StateStore, sandbox_names: set[str], object_name: str
) -> ObjectEvidence:
    dry = approved = rollback = False
    for run in state.list_runs(object=object_name, limit=EVIDENCE_SCAN_LIMIT):
        if run.connector not in sandbox_names:
            continue
        if run.dry_run and run.decision:
            dry = True
            continue
        if run.status == "rolled_back":
            rollback = True
        if run.status in EXECUTED_STATUSES and not approved:
            approved = any(
                a.decision == "approve" for a in state.list_approvals(run.id)
            )
    return ObjectEvidence(dry, approved, rollback)


def promotion_gate(
    old: Workspace | None, new: Workspace, state: StateStore | None
) -> list[Diagnostic]:
    promoted = promoted_connectors(old, new)
    if not promoted:
        return []
    sandbox_names = {c.name for c in new.connectors if c.is_sandbox}
    sandbox_names |= {c.name for c in (old.connectors if old else ()) if c.is_sandbox}
    problems = []
    for connector in promoted:
        missing_by_object = {}
        for obj in connector.managed_objects:
            if state is None:
                missing_by_object[obj.object_api_name] = ObjectEvidence().missing()
                continue
            evidence = sandbox_evidence(state, sandbox_names, obj.object_api_name)
            if evidence.missing():
                missing_by_object[obj.object_api_name] = evidence.missing()
        if missing_by_object:
            problems.append(_gate_error(connector, missing_by_object, state is None))
    return problems


def _gate_error(
    connector: Connector, missing: dict[str, list[str]], no_state: bool
) -> Diagnostic:
    lines = [
        f"{name}: missing {', '.join(items)}" for name, items in sorted(missing.items())
    ]
    where = (
        "no state store was available to check"
        if no_state
        else "the state store lacks it"
    )
    return error(
        "promotion.missing-sandbox-evidence",
        f"connector {connector.name!r} writes to production, but sandbox evidence for "
        f"its objects is missing ({where})",
        "\n".join(lines) + "\nRun the onboarding path on a sandbox connector for these "
        "objects first: `actionplane run submit --dry-run ...`, an approved live run, "
        "and `actionplane run rollback RUN`.",
        location=connector.location,
    )
