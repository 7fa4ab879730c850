"""`actionplane sample reset | status`: the onboarding sample deal in the sandbox."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from actionplane.cli.options import format_option, state_option, workspace_option
from actionplane.errors import EXIT_FAILURE

if TYPE_CHECKING:
    from actionplane.runs.context import RunContext
    from actionplane.runs.sample import SampleState

CONNECTOR_HELP = "Sandbox connector [default: the first one with isSandbox: true]."


@click.group()
def sample() -> None:
    """Check the onboarding sample deal against its seed, or reset it.

    actionplane sample status
    """


@sample.command()
@click.option("--connector", default=None, help=CONNECTOR_HELP)
@format_option("text", "json")
@workspace_option
@state_option
def reset(
    connector: str | None, output_format: str, workspace: Path, state_path: Path | None
) -> None:
    """Write the sample deal's seeded values back through the Zoho API.

    Resets the fields the connector may change on Deals and any field a run
    changed on the sample deal, verifies them by a read-back, and records an
    audit entry. Exit 0 when the deal matches its seed afterwards, 1 otherwise.

    \b
        actionplane sample reset
    """
    from actionplane.runs.sample import reset_sample, sample_connector

    with _context(workspace, state_path) as ctx:
        state = reset_sample(ctx, sample_connector(ctx, connector))
    if output_format == "json":
        click.echo(json.dumps(_json(state), indent=2, ensure_ascii=False))
    elif state.written:
        fields = ", ".join(state.written)
        verdict = "verified by read-back" if state.verified else "NOT verified"
        click.echo(f"Reset {fields} of sample deal {state.record_id}; {verdict}.")
        _echo_fields(state)
    else:
        click.echo(f"Sample deal {state.record_id} already matches its seed.")
    if not state.verified:
        click.get_current_context().exit(EXIT_FAILURE)


@sample.command()
@click.option("--connector", default=None, help=CONNECTOR_HELP)
@format_option("text", "json")
@workspace_option
@state_option
def status(
    connector: str | None, output_format: str, workspace: Path, state_path: Path | None
) -> None:
    """Show whether the sample deal matches its seeded values.

    Exit 0 when it matches, 1 when a field differs.

    \b
        actionplane sample status --format json
    """
    from actionplane.runs.sample import read_sample, sample_connector

    with _context(workspace, state_path) as ctx:
        state = read_sample(ctx, sample_connector(ctx, connector))
    if output_format == "json":
        click.echo(json.dumps(_json(state), indent=2, ensure_ascii=False))
    else:
        verdict = "matches its seed" if state.matches else "differs from its seed"
        click.echo(f"Sample deal {state.record_id} on {state.connector} {verdict}.")
        _echo_fields(state)
        if not state.matches:
            click.echo("Reset it with `actionplane sample reset`.")
    if not state.matches:
        click.get_current_context().exit(EXIT_FAILURE)


def _echo_fields(state: SampleState) -> None:
    from actionplane.runs.render import show_value, table

    rows = [["field", "seeded", "current", ""]]
    for item in state.fields:
        mark = "ok" if item.matches else "differs"
        rows.append(
            [item.field, show_value(item.seeded), show_value(item.current), mark]
        )
    click.echo("\n".join(table(rows)))


def _json(state: SampleState) -> dict[str, Any]:
    return {
        "format_version": "1",
        "connector": state.connector,
        "record_id": state.record_id,
        "matches": state.matches,
        "modified_time": state.modified_time,
        "written": state.written,
        "verified": state.verified,
        "fields": [
            {
                "field": item.field,
                "seeded": item.seeded,
                "current": item.current,
                "matches": item.matches,
            }
            for item in state.fields
        ],
    }


def _context(
    workspace: Path, state_path: Path | None
) -> AbstractContextManager[RunContext]:
    from actionplane.runs.context import open_run_context

    return open_run_context(workspace, state_path)
