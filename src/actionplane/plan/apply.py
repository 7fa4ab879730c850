"""Apply a plan: activate exactly the reviewed configuration, or refuse.

Apply takes the `apply` lock, checks that the plan is not stale (the active
revision is the one the plan was made against, and no field the plan relies on
changed in the metadata snapshots since), then records the new revision and
its audit event in one transaction. Applying the same plan twice changes
nothing the second time.
"""

from __future__ import annotations

import getpass
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from actionplane.errors import PlanError
from actionplane.metadata.snapshot import Snapshot
from actionplane.plan.bundle import bundle_from_worktree
from actionplane.plan.model import Plan
from actionplane.state.base import StateStore
from actionplane.state.models import Revision

APPLY_LOCK = "apply"
DEFAULT_LOCK_TTL = 15 * 60


@dataclass
class ApplyResult:
    revision: Revision
    applied: bool  # False when the plan's configuration was already active
    lock_takeover: str | None = None


def current_user() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return os.environ.get("ACTIONPLANE_ACTOR") or os.environ.get("GITHUB_ACTOR") or user


def lock_holder() -> str:
    return f"{current_user()}@{socket.gethostname()} pid {os.getpid()}"


def stale_reasons(
    plan: Plan, state: StateStore, live_snapshots: dict[str, Snapshot]
) -> list[str]:
    """List why the plan can no longer be applied; empty when it can."""
    reasons = []
    active = state.active_revision()
    expected = plan.base.serial if plan.base.kind == "revision" else None
    if (active.serial if active else None) != expected:
        if active is None:
            reasons.append(
                f"the plan expects revision {expected}, but the state holds no revision"
            )
        else:
            commit = (active.git_commit or "no commit")[:12]
            since = f"revision {active.serial} (commit {commit}) was applied by {active.applied_by} at {active.applied_at:%Y-%m-%d %H:%M:%S}Z"
            base = f"revision {expected}" if expected is not None else "no revision"
            reasons.append(f"the plan was made against {base}, but {since}")
    for connector, fields in sorted(plan.relied_fields.items()):
        snapshot = live_snapshots.get(connector)
        for key, digest in sorted(fields.items()):
            module, _, name = key.partition(".")
            now = snapshot.field_digest(module, name) if snapshot else None
            if now != digest:
                reasons.append(
                    f"metadata of {connector} field {key} changed since the plan was made"
                )
    return reasons


def already_active(plan: Plan, state: StateStore) -> Revision | None:
    active = state.active_revision()
    if active is None:
        return None
    same_config = active.config_digest == plan.desired.config_digest
    same_metadata = dict(active.metadata_digests) == plan.desired.metadata_digests
    return active if same_config and same_metadata else None


def apply_plan(
    plan: Plan,
    state: StateStore,
    root: Path,
    *,
    reason: str = "",
    lock_wait_seconds: float = 0,
) -> ApplyResult:
    if plan.base.kind == "ref":
        raise PlanError(
            f"this plan was made against git {plan.base.ref} for review and cannot be "
            "applied; run `actionplane plan --out FILE` without --base to plan against "
            "the active revision"
        )
    if not plan.valid:
        errors = sum(1 for d in plan.diagnostics if d.is_error)
        raise PlanError(
            f"the plan has {errors} check error(s); fix them and make a new plan"
        )
    holder = lock_holder()
    lock = state.acquire_lock(
        APPLY_LOCK,
        holder,
        reason or f"apply {plan.plan_id}",
        DEFAULT_LOCK_TTL,
        wait_seconds=lock_wait_seconds,
    )
    takeover = lock.replaced.holder if lock.replaced is not None else None
    try:
        return _apply_locked(plan, state, root, reason, takeover)
    finally:
        state.release_lock(lock.id, holder)


def _apply_locked(
    plan: Plan, state: StateStore, root: Path, reason: str, takeover: str | None
) -> ApplyResult:
    active = already_active(plan, state)
    if active is not None:
        return ApplyResult(active, applied=False)
    live = bundle_from_worktree(root).snapshots()
    reasons = stale_reasons(plan, state, live)
    if reasons:
        raise PlanError(
            "the saved plan is stale and was not applied:\n  - "
            + "\n  - ".join(reasons)
            + "\nMake a new plan with `actionplane plan --out FILE` and review it again."
        )
    actor = current_user()
    with state.transaction():
        revision = state.record_revision(
            expected_serial=plan.base.serial if plan.base.kind == "revision" else None,
            git_commit=plan.desired.commit,
            config_digest=plan.desired.config_digest,
            metadata_digests=plan.desired.metadata_digests,
            config_snapshot=plan.desired.to_dict(),
            plan_id=plan.plan_id,
            plan_digest=plan.digest(),
            applied_by=actor,
            reason=reason,
        )
        state.append_audit(
            "config.applied",
            actor,
            f"revision/{revision.serial}",
            {
                "serial": revision.serial,
                "git_commit": plan.desired.commit,
                "config_digest": plan.desired.config_digest,
                "metadata_digests": plan.desired.metadata_digests,
                "plan_id": plan.plan_id,
                "changes": len(plan.changes),
                "reason": reason,
            },
        )
    return ApplyResult(revision, applied=True, lock_takeover=takeover)
