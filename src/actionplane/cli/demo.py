"""`actionplane demo`: run the whole onboarding path against the embedded sandbox."""

from __future__ import annotations

from pathlib import Path

import click

from actionplane.cli.options import workspace_option
from actionplane.errors import EXIT_FAILURE


@click.command()
@workspace_option
@click.option(
    "--keep",
    is_flag=True,
    help="Keep the temporary demo workspace and print where it is.",
)
def demo(workspace: Path, keep: bool) -> None:
    """Walk a sample deal change through every step on the embedded Zoho sandbox.

    Starts the sandbox on a free loopback port and makes a temporary git
    workspace from this workspace's policies and approver groups. Then it
    connects, validates, checks, plans and applies. It dry runs, submits,
    approves, executes, rolls back and resets the sample deal. Last, it
    verifies the audit chain and prints the onboarding status. Every step runs the real
    command and is checked against the sandbox's own copy of the record.
    Exits 0 only when every step was verified. Nothing outside the temporary
    workspace changes.

    \b
        actionplane demo
        actionplane demo --keep
    """
    from actionplane.demo.runner import run_demo

    results = run_demo(workspace.resolve(), keep=keep, echo=click.echo)
    verified = sum(1 for result in results if result.ok)
    from actionplane.demo.steps import STEPS

    if verified == len(STEPS):
        click.echo(
            click.style(
                f"Demo complete: all {verified} steps verified.", fg="green", bold=True
            )
        )
        return
    failed = next((r for r in results if not r.ok), None)
    where = f" at step {len(results)} ({failed.title})" if failed else ""
    click.echo(
        click.style(
            f"Demo stopped{where}: {verified} of {len(STEPS)} steps verified.",
            fg="red",
            bold=True,
        ),
        err=True,
    )
    click.get_current_context().exit(EXIT_FAILURE)
