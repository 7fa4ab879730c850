"""The applied configuration that decides runs: the active revision, never the tree.

A revision stores the reviewed workspace files and metadata snapshots, so runs
are decided by exactly what was planned and applied, whatever the working tree
contains now. A revision whose stored files or snapshots no longer hash to its
recorded digests was changed outside actionplane and decides no run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from actionplane.config.model import Connector, Workspace
from actionplane.diagnostics import has_errors
from actionplane.errors import ConfigError, RunError
from actionplane.metadata.snapshot import Snapshot
from actionplane.plan.bundle import ConfigBundle
from actionplane.rules.engine import RuleSet
from actionplane.state.base import StateStore
from actionplane.state.models import Revision

APPLY_HINT = "actionplane plan --out plan.json && actionplane apply plan.json"


@dataclass
class AppliedConfig:
    """The active revision with its workspace, metadata snapshots and compiled rules."""

    revision: Revision
    workspace: Workspace
    snapshots: dict[str, Snapshot]
    rules: RuleSet

    @property
    def serial(self) -> int:
        return self.revision.serial

    def revision_identity(self) -> dict[str, Any]:
        """Return the revision facts a run digest and a decision trace name."""
        return {
            "serial": self.revision.serial,
            "config_digest": self.revision.config_digest,
            "git_commit": self.revision.git_commit,
        }

    def connector(self, name: str) -> Connector:
        connector = self.workspace.connector(name)
        if connector is None:
            known = ", ".join(c.name for c in self.workspace.connectors) or "none"
            raise RunError(
                f"connector {name!r} is not in applied revision {self.serial}"
                f" (connectors: {known}). Pick one of those, or add it to"
                f" connectors.yaml and run `{APPLY_HINT}`."
            )
        return connector

    def field_entry(
        self, connector: str, module: str, field_name: str
    ) -> dict[str, Any] | None:
        snapshot = self.snapshots.get(connector)
        return snapshot.field(module, field_name) if snapshot is not None else None


def load_applied(state: StateStore, root: Path) -> AppliedConfig:
    """Load the active revision, or raise RunError telling how to apply one."""
    revision = state.active_revision()
    if revision is None:
        raise RunError(
            f"no configuration has been applied to state {state.location}, so no"
            " rules can decide a run. Review and apply the workspace first:"
            f" `{APPLY_HINT}`."
        )
    return applied_from_revision(revision, root)


class DigestMismatch(NamedTuple):
    """A digest stored with a revision that its config snapshot no longer hashes to."""

    field: str
    stored: Any
    recomputed: Any


def revision_digest_mismatches(revision: Revision) -> list[DigestMismatch]:
    """Recompute the revision's config and metadata digests from its snapshot.

    Plan and apply compute both digests with ``ConfigBundle``, so the same code
    recomputes them here.
    """
    bundle = ConfigBundle.from_dict(revision.config_snapshot)
    found = []
    if bundle.config_digest != revision.config_digest:
        found.append(
            DigestMismatch(
                "config_digest", revision.config_digest, bundle.config_digest
            )
        )
    try:
        metadata_digests: Any = bundle.metadata_digests
    except ConfigError as exc:
        metadata_digests = f"unreadable: {exc.message}"
    if metadata_digests != revision.metadata_digests:
        found.append(
            DigestMismatch(
                "metadata_digests", revision.metadata_digests, metadata_digests
            )
        )
    return found


def applied_from_revision(revision: Revision, root: Path) -> AppliedConfig:
    mismatches = revision_digest_mismatches(revision)
    if mismatches:
        names = " and ".join(m.field for m in mismatches)
        raise RunError(
            f"applied revision {revision.serial} does not match its {names}: its"
            " config_snapshot was changed outside actionplane, so it cannot decide"
            " runs. Run `actionplane audit verify`, keep the state file for"
            " investigation and restore the state from a backup."
        )
    bundle = ConfigBundle.from_dict(revision.config_snapshot)
    workspace, diagnostics = bundle.load(root)
    if has_errors(diagnostics):
        raise RunError(
            f"applied revision {revision.serial} no longer loads with this version"
            " of actionplane, so it cannot decide runs. Fix the workspace, then run"
            f" `{APPLY_HINT}`.",
            diagnostics=[d for d in diagnostics if d.is_error],
        )
    return AppliedConfig(
        revision=revision,
        workspace=workspace,
        snapshots=bundle.snapshots(),
        rules=RuleSet(workspace),
    )
