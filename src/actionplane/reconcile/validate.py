"""`validate` (offline) and `check` (against metadata snapshots) as plain functions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from actionplane.config.model import Workspace
from actionplane.diagnostics import Diagnostic, error, has_errors, sort_key
from actionplane.errors import ActionPlaneError
from actionplane.metadata.snapshot import Snapshot, load_snapshot
from actionplane.reconcile.metadata_checks import check_connector_metadata
from actionplane.reconcile.promotion import promotion_gate
from actionplane.reconcile.rule_checks import (
    check_rule_tests,
    check_rules,
    rule_test_failures,
)
from actionplane.state.base import StateStore


@dataclass
class CheckResult:
    workspace: Workspace
    diagnostics: list[Diagnostic]
    backend: str
    snapshots: dict[str, Snapshot] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)


def validate_workspace(
    root: Path,
    backend_name: str | None = None,
    overrides: dict[str, str] | None = None,
) -> CheckResult:
    """Run the offline checks: YAML, schema, semantics, CEL compile and rule lint."""
    from actionplane.config.load import load_workspace
    from actionplane.rules.backend import get_backend
    from actionplane.rules.compiler import compile_rules
    from actionplane.rules.lint import analyze_rules

    workspace, diagnostics = load_workspace(root, overrides)
    backend = get_backend(backend_name, workspace.cel_backend)
    # Source lines for messages come from the files as loaded, which differ from
    # the working tree when `overrides` holds a git revision.
    lines = {k: v.splitlines() for k, v in overrides.items()} if overrides else None
    _, compile_problems = compile_rules(workspace, backend, file_lines=lines)
    diagnostics += compile_problems
    diagnostics += analyze_rules(workspace, backend.name, file_lines=lines)
    diagnostics.sort(key=sort_key)
    return CheckResult(workspace, diagnostics, backend.name)


def load_snapshots(
    root: Path, workspace: Workspace
) -> tuple[dict[str, Snapshot], list[Diagnostic]]:
    snapshots: dict[str, Snapshot] = {}
    problems: list[Diagnostic] = []
    for connector in workspace.connectors:
        try:
            snapshot = load_snapshot(root, connector.name)
        except ActionPlaneError as exc:
            problems.append(
                error(
                    "metadata.invalid",
                    exc.message,
                    f"Run `actionplane connectors sync-metadata {connector.name}` and "
                    f"commit .actionplane/metadata/{connector.name}.json.",
                    location=connector.location,
                )
            )
            continue
        if snapshot is not None:
            snapshots[connector.name] = snapshot
    return snapshots, problems


def check_workspace(
    root: Path,
    backend_name: str | None = None,
    overrides: dict[str, str] | None = None,
    snapshots: dict[str, Snapshot] | None = None,
    state: StateStore | None = None,
    rule_tests: bool = False,
) -> CheckResult:
    """Run `validate`, then check connectors, rules and tests against metadata.

    With `rule_tests`, also run the rule tests and report each failing one as
    an error, unless the workspace already failed to load or compile.
    """
    from actionplane.rules.positions import read_lines

    result = validate_workspace(root, backend_name, overrides)
    workspace = result.workspace
    problems: list[Diagnostic] = []
    if rule_tests and result.ok:
        problems += rule_test_failures(workspace, result.backend)
    if snapshots is None:
        snapshots, problems = load_snapshots(root, workspace)
    for connector in workspace.connectors:
        if any(d.location and d.location == connector.location for d in problems):
            continue
        problems += check_connector_metadata(
            workspace, connector, snapshots.get(connector.name)
        )
    lines: dict[str, list[str]] = {}
    for policy in workspace.policies:
        text = overrides.get(policy.path) if overrides else None
        found = text.splitlines() if text is not None else read_lines(root, policy.path)
        if found is not None:
            lines[policy.path] = found
    problems += check_rules(workspace, snapshots, lines)
    problems += check_rule_tests(workspace, snapshots)
    if state is not None:
        problems += promotion_gate(_active_workspace(root, state), workspace, state)
    result.diagnostics = sorted(result.diagnostics + problems, key=sort_key)
    result.snapshots = snapshots
    return result


def _active_workspace(root: Path, state: StateStore) -> Workspace | None:
    """Return the workspace of the active revision, or None when none is applied."""
    from actionplane.plan.bundle import ConfigBundle

    revision = state.active_revision()
    if revision is None:
        return None
    workspace, _ = ConfigBundle.from_dict(revision.config_snapshot).load(root)
    return workspace
