"""`actionplane connectors connect | validate | sync-metadata`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from actionplane.cli.options import format_option, state_option, workspace_option
from actionplane.errors import EXIT_FAILURE, ConfigError

if TYPE_CHECKING:
    from actionplane.config.model import Connector, Workspace
    from actionplane.metadata.sync import SyncResult


@click.group()
def connectors() -> None:
    """Onboard Zoho CRM connectors: save, validate access, sync metadata."""


def _connector(workspace: Path, name: str) -> Connector:
    from actionplane.config.load import load_workspace

    loaded, diagnostics = load_workspace(workspace)
    connector = loaded.connector(name)
    if connector is None:
        known = ", ".join(c.name for c in loaded.connectors) or "none"
        errors = [d for d in diagnostics if d.is_error]
        hint = (
            " (connectors.yaml has errors; run `actionplane validate`)"
            if errors
            else ""
        )
        raise ConfigError(
            f"connector {name!r} is not defined in connectors.yaml{hint}; known connectors: {known}"
        )
    return connector


def _progress(name: str, done: int, total: int) -> None:
    click.echo(f"  fields of {name} ({done}/{total})", err=True)


@connectors.command()
@click.argument("payload", type=click.Path(dir_okay=False, path_type=Path))
@workspace_option
@state_option
@click.option(
    "--name",
    default=None,
    help="Connector name [default: zoho-sandbox, or zoho-production when isSandbox is false].",
)
@click.option(
    "--env-prefix",
    default="ZOHO",
    show_default=True,
    help="Prefix of the environment variables that hold the secrets.",
)
def connect(
    payload: Path,
    workspace: Path,
    state_path: Path | None,
    name: str | None,
    env_prefix: str,
) -> None:
    """Save a connector from an onboarding payload, then validate and sync.

    PAYLOAD is the onboarding JSON (loginUrl, instanceUrl, clientId,
    clientSecret, refreshToken, apiVersion, isSandbox, isEnabled,
    validateAfterSave, syncMetadataAfterSave, managedObjects). Secrets are
    written to connectors.yaml as ${ENV_VAR} references, never as values.

        actionplane connectors connect onboarding.json
    """
    from actionplane.metadata.snapshot import snapshot_path
    from actionplane.onboarding.payload import read_payload
    from actionplane.onboarding.steps import (
        STEP_CONNECTED,
        client_for,
        sync_connector,
        validate_connector,
    )
    from actionplane.onboarding.write import (
        ensure_gitignore,
        prepare_connector,
        write_connectors,
    )
    from actionplane.state import open_state

    parsed = read_payload(payload, name=name, env_prefix=env_prefix)
    prepared = prepare_connector(workspace, parsed.connector)
    connector = prepared.connector
    env = {**os.environ, **parsed.secrets}
    step = iter(range(1, 4))
    touched = [
        workspace / "connectors.yaml",
        workspace / ".gitignore",
        snapshot_path(workspace, connector.name),
    ]
    state = open_state(state_path, workspace)
    try:
        with _restored_on_failure(touched), ExitStack() as stack:
            client = None
            if parsed.validate_after_save or parsed.sync_after_save:
                client = stack.enter_context(client_for(connector, env))
            if parsed.validate_after_save:
                assert client is not None
                identity = validate_connector(connector, client, state)
                click.echo(
                    f"{next(step)}. Validated: signed in as {identity.user_name} ({identity.profile}) to org {identity.org_name!r} ({identity.org_type}), as isSandbox expects."
                )
            write_connectors(workspace, prepared.text)
            ensure_gitignore(workspace)
            verb = "Added" if prepared.created else "Updated"
            click.echo(
                f"{next(step)}. {verb} connector {connector.name!r} in connectors.yaml."
            )
            if parsed.secrets:
                click.echo(
                    f"   Secrets are references; set {', '.join(parsed.secrets)} in the environment of every"
                )
                click.echo(
                    "   machine that runs actionplane (this command used the payload's values)."
                )
            if parsed.sync_after_save:
                assert client is not None
                result = sync_connector(
                    workspace, connector, client, state, progress=_progress
                )
                _report_sync(result, workspace, step=f"{next(step)}. ")
                _warn_metadata_problems(
                    workspace, prepared.workspace, connector, result
                )
            state.record_onboarding_step(
                connector.name,
                STEP_CONNECTED,
                {"created": prepared.created, "instanceUrl": connector.instance_url},
            )
    finally:
        state.close()


def _warn_metadata_problems(
    root: Path, workspace_model: Workspace, connector: Connector, result: SyncResult
) -> None:
    """Print what `check` will reject in the new connector, such as a misspelt field."""
    from actionplane.diagnostics import render_text
    from actionplane.reconcile.metadata_checks import check_connector_metadata

    problems = check_connector_metadata(workspace_model, connector, result.snapshot)
    errors = [d for d in problems if d.is_error]
    if not errors:
        return
    click.echo(
        f"Warning: `actionplane check` will report {len(errors)} error(s) in this "
        "connector against the metadata just synced; fix the payload or connectors.yaml:",
        err=True,
    )
    click.echo(render_text(errors, root), err=True)


@contextmanager
def _restored_on_failure(paths: list[Path]) -> Iterator[None]:
    """Put `paths` back as they were if the block raises, so a failed connect
    leaves the workspace unchanged."""
    saved = {path: path.read_bytes() if path.is_file() else None for path in paths}
    try:
        yield
    except BaseException:
        for path, content in saved.items():
            if content is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(content)
        click.echo(
            "Nothing was saved: connectors.yaml and the workspace are unchanged.",
            err=True,
        )
        raise


@connectors.command("validate")
@click.argument("name")
@workspace_option
@state_option
@format_option("text", "json")
def validate_command(
    name: str, workspace: Path, state_path: Path | None, output_format: str
) -> None:
    """Check a connector's credentials and instance, and report who it acts as.

    actionplane connectors validate zoho-sandbox
    """
    import json

    from actionplane.onboarding.steps import client_for, validate_connector
    from actionplane.state import open_state

    connector = _connector(workspace, name)
    state = open_state(state_path, workspace)
    try:
        with client_for(connector) as client:
            identity = validate_connector(connector, client, state)
    finally:
        state.close()
    if output_format == "json":
        click.echo(
            json.dumps(
                {
                    "format_version": "1",
                    "connector": name,
                    "identity": identity.to_dict(),
                    "valid": True,
                },
                indent=2,
            )
        )
        return
    click.echo(f"Connector {name!r} is valid.")
    click.echo(f"  user:    {identity.user_name} <{identity.user_email}>")
    click.echo(f"  profile: {identity.profile}, role: {identity.role}")
    click.echo(
        f"  org:     {identity.org_name} (id {identity.org_id}, {identity.org_type}; isSandbox: {str(connector.is_sandbox).lower()} matches)"
    )


@connectors.command("sync-metadata")
@click.argument("name")
@workspace_option
@state_option
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Compare live metadata with the snapshot; exit 1 when they differ, write nothing.",
)
def sync_metadata_command(
    name: str, workspace: Path, state_path: Path | None, check_only: bool
) -> None:
    """Sync Zoho modules and the fields of every managed object into the workspace.

    Writes .actionplane/metadata/NAME.json (sorted and stable, so the pull
    request diff is readable); commit it.

        actionplane connectors sync-metadata zoho-sandbox
        actionplane connectors sync-metadata zoho-sandbox --check
    """
    from actionplane.onboarding.steps import client_for, sync_connector
    from actionplane.state import open_state

    connector = _connector(workspace, name)
    state = None if check_only else open_state(state_path, workspace)
    try:
        with client_for(connector) as client:
            result = sync_connector(
                workspace,
                connector,
                client,
                state,
                check_only=check_only,
                progress=_progress,
            )
    finally:
        if state is not None:
            state.close()
    if check_only:
        if result.previous is None:
            click.echo(
                f"No snapshot for {name!r}; run `actionplane connectors sync-metadata {name}`."
            )
            raise SystemExit(EXIT_FAILURE)
        if result.changes:
            click.echo(f"Live metadata of {name!r} differs from the snapshot:")
            for change in result.changes:
                click.echo(f"  {change.describe()}")
            click.echo(
                f"Run `actionplane connectors sync-metadata {name}` and commit the snapshot."
            )
            raise SystemExit(EXIT_FAILURE)
        click.echo(
            f"The snapshot of {name!r} matches live metadata ({result.snapshot.digest[:19]})."
        )
        return
    _report_sync(result, workspace)


def _report_sync(result: SyncResult, workspace: Path, step: str = "") -> None:
    synced = sorted(m for m, e in result.snapshot.modules.items() if "fields" in e)
    fields = sum(len(result.snapshot.modules[m]["fields"]) for m in synced)
    if not result.written:
        click.echo(
            f"{step}Metadata unchanged: {', '.join(synced)} ({fields} fields); the snapshot was left as it is."
        )
        return
    rel = result.path.relative_to(workspace) if result.path else ""
    click.echo(f"{step}Synced {len(synced)} module(s), {fields} fields, into {rel}.")
    for change in result.changes[:20]:
        click.echo(f"     {change.describe()}")
    click.echo(
        f"{' ' * len(step)}Commit {rel} so that `actionplane check` and reviewers see it."
    )
