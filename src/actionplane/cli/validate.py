"""`actionplane validate` and `actionplane check`."""

from __future__ import annotations

from pathlib import Path

import click

from actionplane.cli.options import (
    color_option,
    format_option,
    state_option,
    use_color,
    workspace_option,
)
from actionplane.cli.output import emit_diagnostics
from actionplane.errors import EXIT_FAILURE, EXIT_OK
from actionplane.reconcile.validate import CheckResult

BACKEND_CHOICES = click.Choice(["cel-expr-python", "cel-python"])


def _ok_text(result: CheckResult, what: str) -> str:
    ws = result.workspace
    return (
        f"{what}: {len(ws.connectors)} connector(s), {len(ws.rules)} rule(s), "
        f"{len(ws.tests)} rule test(s) on {result.backend}."
    )


@click.command()
@workspace_option
@format_option("text", "json", "github")
@click.option(
    "--backend",
    type=BACKEND_CHOICES,
    default=None,
    help="CEL backend to compile with [default: the workspace's].",
)
@color_option
def validate(
    workspace: Path, output_format: str, backend: str | None, color: str
) -> None:
    """Check the workspace offline: YAML, schema, semantics and CEL compile.

    Every problem is reported in one run with its file, line and column.
    No Zoho connection and no metadata snapshot are needed.

        actionplane validate --format github
    """
    from actionplane.reconcile.validate import validate_workspace

    result = validate_workspace(workspace, backend)
    emit_diagnostics(
        result.diagnostics,
        output_format,
        root=workspace,
        color=use_color(color),
        ok_text=_ok_text(result, "The workspace is valid"),
        extra={"backend": result.backend},
    )
    raise SystemExit(EXIT_OK if result.ok else EXIT_FAILURE)


@click.command()
@workspace_option
@format_option("text", "json", "github", "sarif")
@click.option(
    "--backend",
    type=BACKEND_CHOICES,
    default=None,
    help="CEL backend to compile with [default: the workspace's].",
)
@state_option
@color_option
def check(
    workspace: Path,
    output_format: str,
    backend: str | None,
    state_path: Path | None,
    color: str,
) -> None:
    """Run `validate`, then check the workspace against the metadata snapshots.

    Catches what Zoho would reject: unknown modules and fields (with the
    api_name you meant), fields the API cannot write, literals that do not fit
    a field's type and picklist labels used instead of stored values.

        actionplane check --format sarif > actionplane.sarif
    """
    from actionplane.reconcile.validate import check_workspace
    from actionplane.state import maybe_open_state

    state = maybe_open_state(state_path, workspace)
    try:
        result = check_workspace(workspace, backend, state=state)
    finally:
        if state is not None:
            state.close()
    emit_diagnostics(
        result.diagnostics,
        output_format,
        root=workspace,
        color=use_color(color),
        ok_text=_ok_text(result, "The workspace matches Zoho's metadata"),
        extra={"backend": result.backend},
    )
    raise SystemExit(EXIT_OK if result.ok else EXIT_FAILURE)
