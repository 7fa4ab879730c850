"""Make a plan: compare the desired workspace with the active revision or a ref."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from actionplane.config.model import CONNECTORS_FILE, Route, Workspace
from actionplane.diagnostics import Diagnostic, has_errors, secret_literals
from actionplane.errors import ActionPlaneError, PlanError
from actionplane.metadata.diff import diff_snapshots
from actionplane.metadata.snapshot import Snapshot
from actionplane.plan.bundle import ConfigBundle, bundle_from_git, bundle_from_worktree
from actionplane.plan.changes import (
    MEDIUM,
    Change,
    diff_workspaces,
    rate_by_impact,
)
from actionplane.plan.impact import (
    Decide,
    ProbeSource,
    ReplayRequest,
    ReplaySource,
    RuleTestSource,
    replay,
)
from actionplane.plan.model import Base, Plan
from actionplane.reconcile.promotion import promotion_gate
from actionplane.state.base import StateStore

IMPACT_KINDS = {
    "rule",
    "allowlist",
    "default-route",
    "managed-object",
    "connector",
    "group",
}
RECORDED_RUNS_LIMIT = 10_000
LITERAL_SECRET = "connector.literal-secret"


@dataclass
class RecordedRunsSource:
    """Replays the requests of runs recorded in the state store, newest first."""

    state: StateStore
    limit: int = RECORDED_RUNS_LIMIT
    name: str = "recorded-run"

    def requests(self) -> Iterator[ReplayRequest]:
        for run in self.state.list_runs(limit=self.limit):
            record = (run.preview or {}).get("record")
            yield ReplayRequest("recorded-run", run.id, run.request, record)


def now_text() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def base_from_state(state: StateStore | None) -> tuple[Base, ConfigBundle | None]:
    revision = state.active_revision() if state is not None else None
    if revision is None:
        return Base("none"), None
    bundle = ConfigBundle.from_dict(revision.config_snapshot)
    base = Base(
        "revision",
        revision.serial,
        revision.git_commit,
        None,
        revision.config_digest,
        dict(revision.metadata_digests),
    )
    return base, bundle


def base_from_ref(root: Path, ref: str) -> tuple[Base, ConfigBundle]:
    bundle = bundle_from_git(root, ref)
    base = Base(
        "ref", None, bundle.commit, ref, bundle.config_digest, bundle.metadata_digests
    )
    return base, bundle


def make_plan(
    root: Path,
    *,
    ref: str | None = None,
    base_ref: str | None = None,
    state: StateStore | None = None,
    backend: str | None = None,
    extra_sources: list[ReplaySource] | None = None,
) -> Plan:
    """Plan the desired workspace (working tree, or `ref`) against the active
    revision in `state`, or against git `base_ref` when given."""
    from actionplane.reconcile.validate import check_workspace

    desired = bundle_from_git(root, ref) if ref else bundle_from_worktree(root)
    snapshots = desired.snapshots()
    checked = check_workspace(
        root, backend, overrides=desired.files, snapshots=snapshots, rule_tests=True
    )
    reject_literal_secrets(desired, checked.diagnostics)
    old_bundle: ConfigBundle | None
    if base_ref:
        base, old_bundle = base_from_ref(root, base_ref)
    else:
        base, old_bundle = base_from_state(state)
    old_workspace = _load_quietly(root, old_bundle)
    checked.diagnostics += promotion_gate(old_workspace, checked.workspace, state)
    changes = diff_workspaces(old_workspace, checked.workspace, snapshots)
    changes += metadata_changes(old_bundle, snapshots)
    impact = None
    if not has_errors(checked.diagnostics) and any(
        c.kind in IMPACT_KINDS for c in changes
    ):
        sources: list[ReplaySource] = [
            RuleTestSource([w for w in (old_workspace, checked.workspace) if w]),
            ProbeSource(
                [w for w in (old_workspace, checked.workspace) if w], snapshots
            ),
        ]
        if state is not None:
            sources.append(RecordedRunsSource(state))
        sources += extra_sources or []
        impact = replay(
            sources,
            decider(old_workspace, backend),
            _require(decider(checked.workspace, backend)),
            {rule.id: rule.route for rule in checked.workspace.rules},
        )
        changes = rate_by_impact(changes, impact)
    return Plan(
        workspace=checked.workspace.name,
        created_at=now_text(),
        base=base,
        desired=desired,
        changes=changes,
        impact=impact,
        diagnostics=checked.diagnostics,
        relied_fields=relied_fields(checked.workspace, snapshots),
    )


def reject_literal_secrets(
    desired: ConfigBundle, diagnostics: list[Diagnostic]
) -> None:
    """Raise PlanError naming each line of `connectors.yaml` with a literal credential.

    A plan embeds the configuration files and may be printed, saved and uploaded,
    so none is made while a credential is written as a literal. Lines come
    from the `connector.literal-secret` diagnostics, and from a line scan that
    also works when the YAML does not parse. The values are never shown. When
    no literal is found but the file has YAML errors, no plan is made either,
    because a credential spelled in an unusual way may have been missed.
    """
    places: dict[int, str] = {}
    for diagnostic in diagnostics:
        location = diagnostic.location
        if diagnostic.code == LITERAL_SECRET and location is not None:
            place = f"{location.file}:{location.line}"
            if diagnostic.key_path:
                place += f" ({diagnostic.key_path})"
            places[location.line] = place
    lines = desired.files.get(CONNECTORS_FILE, "").splitlines()
    literals = secret_literals(lines)
    for number, line in enumerate(lines, start=1):
        if number not in places and any(value in line for value in literals):
            places[number] = f"{CONNECTORS_FILE}:{number}"
    if not places:
        unreadable = [
            d
            for d in diagnostics
            if d.is_error
            and d.code.startswith("yaml.")
            and d.location is not None
            and d.location.file == CONNECTORS_FILE
        ]
        if unreadable:
            first = unreadable[0]
            raise PlanError(
                f"{CONNECTORS_FILE} does not read as clean YAML ({first.code} at "
                f"{first.location}: {first.summary}), and no plan was made: a plan "
                "contains the configuration files, and their credentials cannot be "
                "checked for literals until the file reads cleanly. Run `actionplane "
                "validate` and fix the file."
            )
        return
    listed = "\n".join(f"  - {places[number]}" for number in sorted(places))
    raise PlanError(
        f"{CONNECTORS_FILE} contains a literal credential, and no plan was made "
        f"because a plan contains the configuration files:\n{listed}\n"
        "Replace each value with an ${ENV_VAR} reference, for example "
        "`clientSecret: ${ZOHO_CLIENT_SECRET}`, and set the variable where "
        "actionplane runs. If the value was ever committed, rotate it in the Zoho "
        "API console."
    )


def _require(decide: Decide | None) -> Decide:
    assert decide is not None, "the desired workspace compiled in check_workspace"
    return decide


def _load_quietly(root: Path, bundle: ConfigBundle | None) -> Workspace | None:
    if bundle is None:
        return None
    workspace, _ = bundle.load(root)
    return workspace


def decider(workspace: Workspace | None, backend: str | None) -> Decide | None:
    """Return a function deciding replay requests under `workspace`'s rules.

    An old workspace whose rules no longer compile (for example after a CEL
    backend upgrade) gives None: its decisions cannot be replayed.
    """
    if workspace is None:
        return None
    from actionplane.rules.engine import RuleSet

    try:
        rules = RuleSet(workspace, backend)
    except ActionPlaneError:
        return None

    def decide(item: ReplayRequest) -> tuple[Route, list[str]]:
        now = _parse_now(item.now)
        decision = rules.decide(item.request, record=item.record, now=now)
        return decision.route, list(decision.matched_rules)

    return decide


def _parse_now(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def metadata_changes(
    old: ConfigBundle | None, snapshots: dict[str, Snapshot]
) -> list[Change]:
    old_snapshots = old.snapshots() if old is not None else {}
    changes = []
    for name, snapshot in sorted(snapshots.items()):
        before = old_snapshots.get(name)
        if before is None or before.digest == snapshot.digest:
            continue
        listed = [c.describe() for c in diff_snapshots(before, snapshot)]
        changes.append(
            Change(
                "metadata",
                name,
                before.digest,
                snapshot.digest,
                MEDIUM,
                f"{len(listed)} metadata change(s) synced from Zoho",
                {"changes": listed},
            )
        )
    return changes


def relied_fields(
    workspace: Workspace, snapshots: dict[str, Snapshot]
) -> dict[str, dict[str, str | None]]:
    """Return the metadata digest of every allowlisted field, per connector.

    Apply compares these with the snapshots present when it runs, so a plan
    made before a field changed in Zoho is refused rather than applied.
    """
    result: dict[str, dict[str, str | None]] = {}
    for connector in workspace.connectors:
        snapshot = snapshots.get(connector.name)
        fields: dict[str, str | None] = {}
        for obj in connector.managed_objects:
            for name in obj.allowed_fields:
                key = f"{obj.object_api_name}.{name}"
                fields[key] = (
                    snapshot.field_digest(obj.object_api_name, name)
                    if snapshot
                    else None
                )
        result[connector.name] = fields
    return result
