"""Apply a plan: activate exactly the reviewed configuration, or refuse.

A saved plan is a file anyone could edit, and its digests are plain sha256
sums that an editor can recompute. So apply trusts none of the plan's own
records. It compares the embedded files with the files of the git commit the
plan names, and the files the plan lists as uncommitted with the working
tree. Then it runs the checks of `plan` again on the embedded files.

Apply then takes the `apply` lock, checks that the plan is not stale (the
active revision is the one the plan was made against, and no field the
configuration relies on changed in the metadata snapshots since), and records
the new revision and its audit event in one transaction. Applying the same
plan twice changes nothing the second time.
"""

from __future__ import annotations

import getpass
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path

from actionplane.errors import PlanError
from actionplane.metadata.snapshot import Snapshot
from actionplane.plan.bundle import (
    DIRTY_SUFFIX,
    ConfigBundle,
    bundle_at_commit,
    bundle_from_worktree,
    changed_paths,
    commit_on_head,
    short_commit,
)
from actionplane.plan.make import relied_fields
from actionplane.plan.model import Plan
from actionplane.processes import process_exists
from actionplane.reconcile.validate import CheckResult, check_workspace
from actionplane.state.base import StateStore
from actionplane.state.models import Lock, Revision

APPLY_LOCK = "apply"
DEFAULT_LOCK_TTL = 15 * 60
# The end of a holder name that `lock_holder` writes: "@HOST pid PID".
_HOLDER_PROCESS = re.compile(r"@(?P<host>[^@\s]+) pid (?P<pid>\d+)\Z")


@dataclass
class ApplyResult:
    revision: Revision
    applied: bool  # False when the plan's configuration was already active
    lock_takeover: str | None = None
    # True when the lock taken over had not expired, but its holder's process had ended.
    lock_holder_ended: bool = False


def current_user() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return os.environ.get("ACTIONPLANE_ACTOR") or os.environ.get("GITHUB_ACTOR") or user


def lock_holder() -> str:
    return f"{current_user()}@{socket.gethostname()} pid {os.getpid()}"


def holder_process_ended(lock: Lock) -> bool:
    """Tell whether the lock's holder ran on this host in a process that has ended.

    A holder on another host, or named in another form, cannot be checked here,
    so it keeps the lock until the lock expires.
    """
    # NOTE: Two containers with the same host name but separate process
    # namespaces, sharing one state file, would each see the other's holder
    # as ended.
    match = _HOLDER_PROCESS.search(lock.holder)
    if match is None or match["host"] != socket.gethostname():
        return False
    pid = int(match["pid"])
    return pid != os.getpid() and not process_exists(pid)


def stale_reasons(
    plan: Plan,
    state: StateStore,
    live_snapshots: dict[str, Snapshot],
    relied: dict[str, dict[str, str | None]],
) -> list[str]:
    """List why the plan can no longer be applied; empty when it can.

    `relied` maps each connector to the metadata digests of the fields the
    desired configuration relies on, as `relied_fields` computes them.
    """
    reasons = []
    active = state.active_revision()
    expected = plan.base.serial if plan.base.kind == "revision" else None
    if (active.serial if active else None) != expected:
        if active is None:
            reasons.append(
                f"the plan expects revision {expected}, but the state holds no revision"
            )
        else:
            commit = short_commit(active.git_commit)
            since = f"revision {active.serial} (commit {commit}) was applied by {active.applied_by} at {active.applied_at:%Y-%m-%d %H:%M:%S}Z"
            base = f"revision {expected}" if expected is not None else "no revision"
            reasons.append(f"the plan was made against {base}, but {since}")
    for connector, fields in sorted(relied.items()):
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


def require_committed(plan: Plan, allow_uncommitted: bool) -> None:
    """Raise PlanError if the plan's files are not all committed to git.

    `allow_uncommitted` lets such a plan through. Its revision is then
    labelled with `+dirty` after the commit, or with no commit at all.
    """
    desired = plan.desired
    if allow_uncommitted:
        return
    if desired.commit is None:
        raise PlanError(
            "the plan's configuration does not come from a git commit, because the "
            "workspace was not in a git repository or had no commits when the plan "
            "was made. Commit the workspace and make a new plan with `actionplane "
            "plan --out FILE`, or pass --allow-uncommitted to apply it without a "
            "commit."
        )
    if desired.dirty:
        commit = desired.commit[:12]
        raise PlanError(
            f"the plan contains changes that are not committed to git (commit "
            f"{commit} plus changes to {', '.join(desired.dirty_files)}). Commit "
            "them and make a new plan with `actionplane plan --out FILE`, or pass "
            f"--allow-uncommitted to apply them as revision {commit}{DIRTY_SUFFIX}."
        )


def apply_plan(
    plan: Plan,
    state: StateStore,
    root: Path,
    *,
    reason: str = "",
    lock_wait_seconds: float = 0,
    allow_uncommitted: bool = False,
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
    require_committed(plan, allow_uncommitted)
    verify_committed_files(plan.desired, root)
    require_commit_on_head(plan.desired, root)
    verify_uncommitted_files(plan.desired, root)
    holder = lock_holder()
    lock = state.acquire_lock(
        APPLY_LOCK,
        holder,
        reason or f"apply {plan.plan_id}",
        DEFAULT_LOCK_TTL,
        wait_seconds=lock_wait_seconds,
        holder_ended=holder_process_ended,
    )
    try:
        result = _apply_locked(plan, state, root, reason)
    finally:
        state.release_lock(lock.id, holder)
    if lock.replaced is not None:
        result.lock_takeover = lock.replaced.holder
        result.lock_holder_ended = not lock.replaced.is_expired(lock.acquired_at)
    return result


def _apply_locked(
    plan: Plan, state: StateStore, root: Path, reason: str
) -> ApplyResult:
    active = already_active(plan, state)
    if active is not None:
        return ApplyResult(active, applied=False)
    live = bundle_from_worktree(root, compare_with_head=False).snapshots()
    checked = check_embedded_config(plan.desired, state, root)
    relied = relied_fields(checked.workspace, checked.snapshots)
    reasons = stale_reasons(plan, state, live, relied)
    if reasons:
        raise PlanError(
            "the saved plan is stale and was not applied:\n  - "
            + "\n  - ".join(reasons)
            + "\nMake a new plan with `actionplane plan --out FILE` and review it again."
        )
    errors = [d for d in checked.diagnostics if d.is_error]
    if errors:
        raise PlanError(
            f"the plan's configuration fails {len(errors)} check(s) and was not "
            "applied; fix the workspace and make a new plan",
            diagnostics=errors,
        )
    actor = current_user()
    with state.transaction():
        revision = state.record_revision(
            expected_serial=plan.base.serial if plan.base.kind == "revision" else None,
            git_commit=plan.desired.revision_label,
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
                "git_commit": plan.desired.revision_label,
                "uncommitted_files": plan.desired.dirty_files,
                "config_digest": plan.desired.config_digest,
                "metadata_digests": plan.desired.metadata_digests,
                "plan_id": plan.plan_id,
                "changes": len(plan.changes),
                "reason": reason,
            },
        )
    return ApplyResult(revision, applied=True)


def verify_committed_files(desired: ConfigBundle, root: Path) -> None:
    """Raise PlanError unless the embedded files equal those of the plan's commit.

    Files that the plan lists as uncommitted are left out of the comparison.
    A plan that names no commit has nothing to compare with, and
    `require_committed` decides whether it may be applied.
    """
    if desired.commit is None:
        return
    committed = bundle_at_commit(root, desired.commit)
    differing = [
        path
        for path in changed_paths(desired, committed)
        if path not in desired.dirty_files
    ]
    if differing:
        raise PlanError(
            f"the plan's configuration differs from git commit {desired.commit[:12]}, "
            "which it names as its source, in: "
            + ", ".join(differing)
            + ". The plan file was changed after it was made; make a new plan with "
            "`actionplane plan --out FILE` and review it again."
        )


def require_commit_on_head(desired: ConfigBundle, root: Path) -> None:
    """Raise PlanError unless the plan's commit is HEAD or an ancestor of HEAD.

    A commit that exists in the repository but on no checked-out history, for
    example one dropped by `git reset --hard`, was never merged, so its
    configuration is not applied.
    """
    if desired.commit is None or commit_on_head(root, desired.commit):
        return
    raise PlanError(
        f"the plan's configuration comes from git commit {desired.commit[:12]},"
        " which is not HEAD or an ancestor of HEAD in the workspace repository,"
        " so it was never merged into the checked-out branch. Merge the commit"
        " first, then make a new plan with `actionplane plan --out FILE`."
    )


def verify_uncommitted_files(desired: ConfigBundle, root: Path) -> None:
    """Raise PlanError unless the plan's uncommitted files equal the working tree's.

    Git cannot vouch for these files, so apply compares them with the files
    on disk now, and a plan file edited after it was made is rejected. A plan
    that names no commit has only uncommitted files, so all of them are
    compared.
    """
    if desired.commit is not None and not desired.dirty:
        return
    on_disk = bundle_from_worktree(root, compare_with_head=False)
    differing = [
        path
        for path in changed_paths(desired, on_disk)
        if desired.commit is None or path in desired.dirty_files
    ]
    if differing:
        raise PlanError(
            "the plan's uncommitted files differ from the working tree in: "
            + ", ".join(differing)
            + ". Git cannot confirm these files, so apply activates them only "
            "as they are on disk now. Make a new plan with `actionplane plan "
            "--out FILE` and review it again."
        )


def check_embedded_config(
    desired: ConfigBundle, state: StateStore, root: Path
) -> CheckResult:
    """Run the checks of `plan` on the embedded files, with the rule tests.

    Apply uses this result instead of the check results recorded in the plan.
    The promotion gate among the checks reads the state, so this runs under
    the apply lock.
    """
    return check_workspace(
        root,
        overrides=desired.files,
        snapshots=desired.snapshots(),
        state=state,
        rule_tests=True,
    )
