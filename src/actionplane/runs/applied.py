"""The applied configuration that decides runs: the active revision, never the tree.

A revision stores the reviewed workspace files and metadata snapshots, so runs
are decided by exactly what was planned and applied, whatever the working tree
contains now.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actionplane.config.model import Connector, Workspace
from actionplane.diagnostics import has_errors
from actionplane.errors import RunError
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


def applied_from_revision(revision: Revision, root: Path) -> AppliedConfig:
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
