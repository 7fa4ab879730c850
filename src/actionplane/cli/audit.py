"""`actionplane audit log | verify`: read and check the hash-chained audit trail."""

from __future__ import annotations

import json
from pathlib import Path

import click

from actionplane.cli.options import format_option, state_option, workspace_option
from actionplane.errors import EXIT_FAILURE


@click.group()
def audit() -> None:
    """Read and verify the append-only, hash-chained audit trail.

    actionplane audit verify
    """


@audit.command("log")
@click.option(
    "--kind", default=None, help="Only entries of this kind, e.g. run.executed."
)
@click.option(
    "--subject",
    default=None,
    help="Only entries about this subject, e.g. run/run_01J...",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Show the newest N matching entries.",
)
@format_option("text", "json")
@workspace_option
@state_option
def log_command(
    kind: str | None,
    subject: str | None,
    limit: int,
    output_format: str,
    workspace: Path,
    state_path: Path | None,
) -> None:
    """List audit entries, oldest first, ending with the newest.

    actionplane audit log --subject run/run_01J... --format json
    """
    from actionplane.runs.report import audit_view
    from actionplane.state import open_state

    with open_state(state_path, workspace) as state:
        # NOTE: every matching entry is read to keep the newest N; a store with
        # millions of entries would want a query ordered newest first.
        events = state.audit_events(kind=kind, subject=subject)[-limit:]
    if output_format == "json":
        body = {"format_version": "1", "events": [audit_view(e) for e in events]}
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))
        return
    if not events:
        click.echo("No audit entries match.")
        return
    for event in events:
        at = event.at.strftime("%Y-%m-%d %H:%M:%SZ")
        click.echo(
            f"#{event.seq}  {at}  {event.kind}  {event.subject}  by {event.actor}"
        )
        summary = ", ".join(
            f"{key}={json.dumps(value, ensure_ascii=False)}"
            for key, value in event.payload.items()
        )
        click.echo(f"    {summary}")


@audit.command()
@click.option(
    "--head",
    "expected_head",
    default=None,
    metavar="HASH",
    help="The head hash recorded earlier elsewhere; catches a truncated or rebuilt chain.",
)
@format_option("text", "json")
@workspace_option
@state_option
def verify(
    expected_head: str | None,
    output_format: str,
    workspace: Path,
    state_path: Path | None,
) -> None:
    """Check every entry's hash and link; exit 1 naming each broken entry.

    actionplane audit verify
    actionplane audit verify --head 3f2a...
    """
    from actionplane.state import open_state

    with open_state(state_path, workspace) as state:
        result = state.verify_audit(expected_head=expected_head)
    if output_format == "json":
        body = {
            "format_version": "1",
            "ok": result.ok,
            "checked": result.checked,
            "head_hash": result.head_hash,
            "problems": [{"seq": p.seq, "problem": p.problem} for p in result.problems],
        }
        click.echo(json.dumps(body, indent=2))
    elif result.ok:
        click.echo(
            f"Audit trail intact: {result.checked} entries, head hash {result.head_hash}."
        )
    else:
        click.echo(f"Audit trail broken: {len(result.problems)} problem(s).")
        for problem in result.problems:
            click.echo(f"  entry #{problem.seq}: {problem.problem}")
        click.echo(
            "The state store was changed outside actionplane. Keep the file for"
            " investigation and restore the state from a backup."
        )
    if not result.ok:
        click.get_current_context().exit(EXIT_FAILURE)
