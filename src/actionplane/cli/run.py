"""`actionplane run submit | approve | reject | execute | resume | rollback | show
| list | export`."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from actionplane.cli.options import format_option, state_option, workspace_option
from actionplane.runs.lifecycle import EXIT_CODES_HELP, STATUSES

if TYPE_CHECKING:
    from actionplane.runs.context import RunContext
    from actionplane.runs.lifecycle import RunOutcome

F = TypeVar("F", bound=Callable[..., Any])

ACTOR_HELP = "Who runs this command, for the audit trail [default: $ACTIONPLANE_ACTOR or the login name]."


def _common(func: F) -> F:
    return workspace_option(state_option(func))


def _checked_name(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Reject actor and group names that could pass for another name on screen."""
    from actionplane.runs.controls import name_problem

    for name in value if isinstance(value, tuple) else [value]:
        if name is None:
            continue
        problem = name_problem(name)
        if problem:
            raise click.BadParameter(problem, ctx=ctx, param=param)
    return value


def _as_option(required: bool, help_text: str) -> Callable[[F], F]:
    return click.option(
        "--as",
        "user",
        required=required,
        default=None,
        metavar="USER",
        help=help_text,
        callback=_checked_name,
    )


def _run_context(
    workspace: Path, state_path: Path | None, user: str | None = None
) -> AbstractContextManager[RunContext]:
    from actionplane.runs.context import open_run_context

    return open_run_context(workspace, state_path, user)


def _emit(
    outcome: RunOutcome, output_format: str, *, with_preview: bool = False
) -> None:
    from actionplane.runs.render import outcome_json, outcome_lines

    for warning in outcome.warnings:
        click.echo(f"Warning: {warning}", err=True)
    if output_format == "json":
        click.echo(json.dumps(outcome_json(outcome), indent=2, ensure_ascii=False))
    else:
        click.echo("\n".join(outcome_lines(outcome, with_preview=with_preview)))
    click.get_current_context().exit(outcome.exit_code)


@click.group(epilog=EXIT_CODES_HELP)
def run() -> None:
    """Governed runs: preview, decide, approve, execute, roll back, explain.

    actionplane run submit --preset zoho-deal --dry-run
    """


@run.command(epilog=EXIT_CODES_HELP)
@click.option(
    "--connector", default=None, help="Connector name [default: the only one]."
)
@click.option(
    "--object",
    "object_name",
    default=None,
    help="Zoho module API name, e.g. Deals; one the connector manages, matched exactly.",
)
@click.option("--record", "record_id", default=None, help="Zoho record id.")
@click.option(
    "--set",
    "set_values",
    multiple=True,
    metavar="FIELD=VALUE",
    help="A field to change, parsed by its type in the applied metadata; null clears it. Repeatable.",
)
@click.option(
    "--file",
    "request_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="JSON request {connector, object, recordId, changes, actor, reason, dryRun}; options"
    " win. A key given twice in one object, or a dryRun that is not true or false, is an error.",
)
@click.option(
    "--actor",
    "actor_id",
    default=None,
    callback=_checked_name,
    help="Who asks for the change. Required unless --file or --preset gives one.",
)
@click.option(
    "--actor-kind",
    type=click.Choice(["human", "agent", "service"]),
    default=None,
    help="What the actor is [default: human].",
)
@click.option(
    "--group",
    "groups",
    multiple=True,
    callback=_checked_name,
    help="A group of the actor, besides the workspace groups. Repeatable.",
)
@click.option(
    "--reason",
    default=None,
    help="Why the change is needed; stored, shown to approvers and read by rules as"
    " request.reason. Required for dry runs too, unless --file or --preset gives one.",
)
@click.option(
    "--dry-run", is_flag=True, help="Stop after preview and decision; write nothing."
)
@click.option(
    "--preset",
    type=click.Choice(["zoho-deal"]),
    default=None,
    help="zoho-deal: the onboarding sample change to the sandbox's sample deal.",
)
@format_option("text", "json")
@_common
def submit(
    connector: str | None,
    object_name: str | None,
    record_id: str | None,
    set_values: tuple[str, ...],
    request_file: Path | None,
    actor_id: str | None,
    actor_kind: str | None,
    groups: tuple[str, ...],
    reason: str | None,
    dry_run: bool,
    preset: str | None,
    output_format: str,
    workspace: Path,
    state_path: Path | None,
) -> None:
    """Preview one record change, decide it with the applied rules, and run it.

    The record is read live; the preview lists each field's before and after.
    Allowed live runs are written at once and verified by a read-back; runs
    that need approval wait for `run approve`.

    --object, --record, --actor, --reason and at least one --set are required
    unless --file or --preset gives them. A dry run needs --reason too, because
    rules can read it, and a dry run must get the decision the live run would.

    A request file gives each change as the new value or as
    {"before": OLD, "after": NEW}. A stated before must equal the record's live
    value, compared as the preview compares values; otherwise the request fails
    with exit 1, naming the field and both values, and no run is stored,
    because a run always has a preview and a decision.

    \b
        actionplane run submit --preset zoho-deal --dry-run
        actionplane run submit --connector zoho-sandbox --object Deals \\
            --record 3652397000000330001 --set Stage="Needs Analysis" \\
            --actor avery.quinn --reason "Discovery call held"
    """
    from actionplane.runs.request import RunInput, parse_set_option, read_request_file
    from actionplane.runs.submit import submit_run

    given = RunInput(
        connector=connector,
        object=object_name,
        record_id=record_id,
        set_values=dict(parse_set_option(text) for text in set_values),
        actor_id=actor_id,
        actor_kind=actor_kind,
        groups=list(groups),
        reason=reason,
        dry_run=dry_run,
        preset=preset,
    )
    if request_file is not None:
        read_request_file(request_file, given)
    with _run_context(workspace, state_path) as ctx:
        outcome = submit_run(ctx, given)
    _emit(outcome, output_format, with_preview=True)


@run.command(epilog=EXIT_CODES_HELP)
@click.argument("run_id", metavar="RUN")
@_as_option(True, "The approver; must be in a group the matched rules name.")
@click.option("--reason", default="", help="Why the approver agrees.")
@format_option("text", "json")
@_common
def approve(
    run_id: str,
    user: str,
    reason: str,
    output_format: str,
    workspace: Path,
    state_path: Path | None,
) -> None:
    """Approve a run after re-reading the record; the approval binds to its digest.

    actionplane run approve run_01J... --as dana.lee --reason "Checked the quote"
    """
    from actionplane.runs.approvals import approve_run

    with _run_context(workspace, state_path, user) as ctx:
        outcome = approve_run(ctx, run_id, user, reason)
    _emit(outcome, output_format)


@run.command(epilog=EXIT_CODES_HELP)
@click.argument("run_id", metavar="RUN")
@_as_option(True, "An approver of the run, or the requester withdrawing it.")
@click.option("--reason", required=True, help="Why the run is rejected.")
@format_option("text", "json")
@_common
def reject(
    run_id: str,
    user: str,
    reason: str,
    output_format: str,
    workspace: Path,
    state_path: Path | None,
) -> None:
    """Reject a run that is pending approval, or approved but not yet executed.

    Rejecting an approved run is the last way to stop its write before
    `run execute`. An approver of the run may reject it, and the requester
    may withdraw it.

    \b
        actionplane run reject run_01J... --as dana.lee --reason "Wrong deal"
    """
    from actionplane.runs.approvals import reject_run

    with _run_context(workspace, state_path, user) as ctx:
        outcome = reject_run(ctx, run_id, user, reason)
    _emit(outcome, output_format)


@run.command(epilog=EXIT_CODES_HELP)
@click.argument("run_id", metavar="RUN")
@_as_option(False, ACTOR_HELP)
@format_option("text", "json")
@_common
def execute(
    run_id: str,
    user: str | None,
    output_format: str,
    workspace: Path,
    state_path: Path | None,
) -> None:
    """Write an approved run once, guarded by If-Unmodified-Since, and verify it.

    actionplane run execute run_01J...
    """
    from actionplane.runs.execute import execute_run

    with _run_context(workspace, state_path, user) as ctx:
        outcome = execute_run(ctx, run_id)
    _emit(outcome, output_format)


@run.command(epilog=EXIT_CODES_HELP)
@click.argument("run_id", metavar="RUN")
@_as_option(False, ACTOR_HELP)
@click.option(
    "--force",
    is_flag=True,
    help="Settle the run even though the process holding its write is still"
    " running and its lease has not expired; audited.",
)
@click.option(
    "--reason", default="", help="Why; stored in the audit trail with --force."
)
@format_option("text", "json")
@_common
def resume(
    run_id: str,
    user: str | None,
    force: bool,
    reason: str,
    output_format: str,
    workspace: Path,
    state_path: Path | None,
) -> None:
    """Settle a run left executing or rolling back by reading the record back.

    Never writes: a write that landed is recorded and verified, one that did
    not land returns the run to its previous status.

    Refused (exit 1), naming the process, host and start time, while the
    process that sent the write still runs and its lease (15 minutes) has not
    expired, because that write may still land. Other run commands fail on such
    a run the same way; --force settles it anyway.

    \b
        actionplane run resume run_01J...
    """
    from actionplane.runs.resume import resume_run

    with _run_context(workspace, state_path, user) as ctx:
        outcome = resume_run(ctx, run_id, force=force, reason=reason)
    _emit(outcome, output_format)


@run.command(epilog=EXIT_CODES_HELP)
@click.argument("run_id", metavar="RUN")
@_as_option(False, ACTOR_HELP)
@click.option(
    "--force",
    is_flag=True,
    help="Roll back even though the record changed since the run; needs --reason.",
)
@click.option("--reason", default="", help="Why; required with --force and audited.")
@format_option("text", "json")
@_common
def rollback(
    run_id: str,
    user: str | None,
    force: bool,
    reason: str,
    output_format: str,
    workspace: Path,
    state_path: Path | None,
) -> None:
    """Write a run's before values back, and verify them.

    Works on an executed run, and on a failed run whose write landed but read
    back different values. The write is guarded by If-Unmodified-Since with
    the Modified_Time read back after the run's write. Refused, with the field
    differences, when the record changed after the run wrote it; --force
    --reason overrides that.

    \b
        actionplane run rollback run_01J...
        actionplane run rollback run_01J... --force --reason "Revert bad import"
    """
    from actionplane.runs.rollback import rollback_run

    with _run_context(workspace, state_path, user) as ctx:
        outcome = rollback_run(ctx, run_id, actor=ctx.actor, force=force, reason=reason)
    _emit(outcome, output_format)


@run.command()
@click.argument("run_id", metavar="RUN")
@format_option("text", "json")
@_common
def show(
    run_id: str, output_format: str, workspace: Path, state_path: Path | None
) -> None:
    """Show a run's request, preview, decision trace, approvals, writes and evidence.

    actionplane run show run_01J... --format json
    """
    report, warnings = _report(workspace, state_path, run_id)
    for warning in warnings:
        click.echo(f"Warning: {warning}", err=True)
    if output_format == "json":
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    from actionplane.runs.show import report_lines

    click.echo("\n".join(report_lines(report)))


@run.command("export")
@click.argument("run_id", metavar="RUN")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="New or empty folder to write the evidence files into.",
)
@_common
def export_command(
    run_id: str, out_dir: Path, workspace: Path, state_path: Path | None
) -> None:
    """Write a run's evidence into a folder, one file per artifact plus README.txt.

    The files hold CRM data, so they are created readable by the owner only
    (0600), and a folder the export creates gets 0700.

    actionplane run export run_01J... --out evidence/run_01J
    """
    from actionplane.runs.export import export_report
    from actionplane.runs.render import counted
    from actionplane.state.clock import format_time, utc_now

    report, warnings = _report(workspace, state_path, run_id)
    for warning in warnings:
        click.echo(f"Warning: {warning}", err=True)
    files = export_report(report, out_dir, format_time(utc_now()))
    click.echo(
        f"Wrote {counted(len(files), 'file')} to {out_dir}; start with {files[0]}."
    )


@run.command("list")
@click.option(
    "--status",
    type=click.Choice(STATUSES),
    default=None,
    help="Only runs in this status.",
)
@click.option(
    "--object", "object_name", default=None, help="Only runs on this Zoho module."
)
@click.option("--actor", default=None, help="Only runs requested by this actor id.")
@click.option("--connector", default=None, help="Only runs through this connector.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Newest runs to list.",
)
@format_option("text", "json")
@_common
def list_command(
    status: str | None,
    object_name: str | None,
    actor: str | None,
    connector: str | None,
    limit: int,
    output_format: str,
    workspace: Path,
    state_path: Path | None,
) -> None:
    """List runs, newest first.

    actionplane run list --status pending_approval
    """
    from actionplane.runs.render import list_lines
    from actionplane.runs.report import run_summary
    from actionplane.state import open_state

    with open_state(state_path, workspace) as state:
        runs = state.list_runs(
            status=status,
            object=object_name,
            actor=actor,
            connector=connector,
            limit=limit,
        )
    if output_format == "json":
        body = {"format_version": "1", "runs": [run_summary(r) for r in runs]}
        click.echo(json.dumps(body, indent=2))
        return
    click.echo("\n".join(list_lines(runs)))


def _report(
    workspace: Path, state_path: Path | None, run_id: str
) -> tuple[dict[str, Any], list[str]]:
    from actionplane.runs.report import run_report
    from actionplane.runs.resume import load_run

    with _run_context(workspace, state_path) as ctx:
        run_record, warnings = load_run(ctx, run_id, allow_held=True)
        return run_report(ctx.state, run_record, ctx.now()), warnings
