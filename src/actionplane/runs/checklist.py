"""The onboarding checklist of each connector and the governed-run counts.

The path is: connect, validate, sync metadata, apply the configuration, a dry
run on the sample, an approved write, a rollback, and a reset of the sample.
Each step is done once the state store has recorded it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actionplane.config.load import load_workspace
from actionplane.config.model import Connector, Workspace
from actionplane.onboarding.steps import (
    STEP_CONNECTED,
    STEP_METADATA_SYNCED,
    STEP_VALIDATED,
)
from actionplane.plan.bundle import ConfigBundle
from actionplane.runs.applied import APPLY_HINT
from actionplane.runs.progress import (
    STEP_APPROVED_WRITE,
    STEP_DRY_RUN,
    STEP_ROLLBACK,
    STEP_SAMPLE_RESET,
)
from actionplane.state.base import StateStore
from actionplane.state.clock import format_time
from actionplane.state.models import MonthlyUsage, Revision

STEP_APPLIED = "applied"
STATUS_FORMAT_VERSION = "1"

# (step, label, next command); {c} is the connector name, {sample} the options
# that pick it for the onboarding sample.
STEPS = (
    (STEP_CONNECTED, "connected", "actionplane connectors connect onboarding.json"),
    (STEP_VALIDATED, "validated", "actionplane connectors validate {c}"),
    (
        STEP_METADATA_SYNCED,
        "metadata synced",
        "actionplane connectors sync-metadata {c}",
    ),
    (STEP_APPLIED, "configuration applied", APPLY_HINT),
    (STEP_DRY_RUN, "first dry run", "actionplane run submit{sample} --dry-run"),
    (
        STEP_APPROVED_WRITE,
        "first approved write",
        "actionplane run submit{sample}, then `run approve` and `run execute`",
    ),
    (
        STEP_ROLLBACK,
        "first rollback",
        "actionplane run rollback RUN (RUN is the executed run from `run list`)",
    ),
    (STEP_SAMPLE_RESET, "sample reset", "actionplane sample reset{connector}"),
)


@dataclass
class ChecklistItem:
    step: str
    label: str
    done: bool
    at: str | None = None
    detail: str = ""
    applicable: bool = True


@dataclass
class ConnectorProgress:
    name: str
    is_sandbox: bool
    items: list[ChecklistItem]
    next_step: str | None


@dataclass
class StatusReport:
    workspace: str
    revision: dict[str, Any] | None
    connectors: list[ConnectorProgress] = field(default_factory=list)
    usage: list[MonthlyUsage] = field(default_factory=list)


def status_report(state: StateStore, root: Path) -> StatusReport:
    revision = state.active_revision()
    workspace = _workspace(revision, root)
    report = StatusReport(workspace.name, _revision_facts(revision))
    sandboxes = [c.name for c in workspace.connectors if c.is_sandbox]
    for connector in workspace.connectors:
        first_sandbox = bool(sandboxes) and sandboxes[0] == connector.name
        report.connectors.append(
            _progress(state, connector, revision, workspace, first_sandbox)
        )
    report.usage = state.governed_run_counts()
    return report


def _progress(
    state: StateStore,
    connector: Connector,
    revision: Revision | None,
    workspace: Workspace,
    first_sandbox: bool,
) -> ConnectorProgress:
    recorded = {step.step: step for step in state.onboarding_progress(connector.name)}
    items = []
    next_step = None
    for step, label, command in STEPS:
        item = _item(step, label, recorded, connector, revision, workspace)
        items.append(item)
        if next_step is None and item.applicable and not item.done:
            next_step = _command(command, connector, first_sandbox)
    return ConnectorProgress(connector.name, connector.is_sandbox, items, next_step)


def _item(
    step: str,
    label: str,
    recorded: dict[str, Any],
    connector: Connector,
    revision: Revision | None,
    workspace: Workspace,
) -> ChecklistItem:
    if step == STEP_APPLIED:
        applied = (
            revision is not None and workspace.connector(connector.name) is not None
        )
        detail = f"revision {revision.serial}" if revision is not None else ""
        at = format_time(revision.applied_at) if revision is not None else None
        return ChecklistItem(step, label, applied, at if applied else None, detail)
    if step == STEP_SAMPLE_RESET and not connector.is_sandbox:
        return ChecklistItem(
            step, label, False, applicable=False, detail="sandbox only"
        )
    found = recorded.get(step)
    if found is not None:
        return ChecklistItem(
            step, label, True, format_time(found.first_at), _detail(found.details)
        )
    if step == STEP_CONNECTED:
        return ChecklistItem(step, label, True, detail="defined in connectors.yaml")
    return ChecklistItem(step, label, False)


def _detail(details: dict[str, Any]) -> str:
    run = details.get("run")
    return f"run {run}" if run else ""


def _command(command: str, connector: Connector, first_sandbox: bool) -> str:
    picks_itself = first_sandbox and connector.is_sandbox
    option = "" if picks_itself else f" --connector {connector.name}"
    if connector.is_sandbox:
        sample = " --preset zoho-deal" + option
    else:
        # The seeded sample deal exists only in the sandbox.
        sample = (
            f" --connector {connector.name} --object OBJECT --record ID"
            " --set FIELD=VALUE --actor ID --reason TEXT"
        )
    return command.format(c=connector.name, sample=sample, connector=option)


def _workspace(revision: Revision | None, root: Path) -> Workspace:
    """Return the applied workspace, or the working tree's before the first apply."""
    if revision is not None:
        workspace, _ = ConfigBundle.from_dict(revision.config_snapshot).load(root)
        return workspace
    workspace, _ = load_workspace(root)
    return workspace


def _revision_facts(revision: Revision | None) -> dict[str, Any] | None:
    if revision is None:
        return None
    return {
        "serial": revision.serial,
        "git_commit": revision.git_commit,
        "applied_by": revision.applied_by,
        "applied_at": format_time(revision.applied_at),
    }
