"""`actionplane plan`, `apply`, `lock list` and `unlock`."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

from actionplane.cli.options import (
    color_option,
    format_option,
    state_option,
    use_color,
    workspace_option,
)
from actionplane.errors import EXIT_FAILURE, EXIT_OK

EXIT_PLAN_HAS_CHANGES = 2


class FiniteSeconds(click.FloatRange):
    """A number of seconds in a range, where NaN and infinity are invalid.

    click.FloatRange alone lets NaN through, because every comparison with NaN
    is false, and a NaN lock timeout would wait forever.
    """

    name = "seconds"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        seconds: float = super().convert(value, param, ctx)
        if not math.isfinite(seconds):
            self.fail(f"{value!r} is not a finite number of seconds.", param, ctx)
        return seconds


@click.command()
@workspace_option
@state_option
@click.option(
    "--ref",
    default=None,
    help="Plan the workspace as of this git revision instead of the working tree.",
)
@click.option(
    "--base",
    "base_ref",
    default=None,
    help="Compare with this git revision instead of the active revision (for pull requests without state access).",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Save the plan to FILE for `actionplane apply FILE`, readable by the owner only.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 for no changes, 2 for changes, 1 for errors.",
)
@format_option("text", "json", "markdown")
@color_option
def plan(
    workspace: Path,
    state_path: Path | None,
    ref: str | None,
    base_ref: str | None,
    out_path: Path | None,
    detailed_exitcode: bool,
    output_format: str,
    color: str,
) -> None:
    """Show what applying the workspace would change, and its policy impact.

    Compares the working tree (or --ref) with the active revision in the state,
    or with a git revision given by --base. Rule and allowlist changes are
    replayed over rule tests, recorded runs and probe requests to show which
    decisions move.

        actionplane plan --out plan.json
        actionplane plan --base origin/main --format markdown
    """
    from actionplane.plan.make import make_plan
    from actionplane.plan.render import render_json, render_plan_text
    from actionplane.state import maybe_open_state, open_state

    state = (
        maybe_open_state(state_path, workspace)
        if base_ref
        else open_state(state_path, workspace)
    )
    try:
        result = make_plan(workspace, ref=ref, base_ref=base_ref, state=state)
    finally:
        if state is not None:
            state.close()
    if out_path is not None:
        result.save(out_path)
    if output_format == "json":
        click.echo(render_json(result))
    elif output_format == "markdown":
        from actionplane.github.comment import render_single
        from actionplane.plan.markdown import comment_content

        click.echo(render_single(comment_content(result)))
    else:
        next_command = ""
        if out_path and result.valid and result.has_changes:
            next_command = f"actionplane apply {out_path}"
            if result.desired.dirty or result.desired.commit is None:
                next_command = (
                    "commit the changes, then run "
                    f"`actionplane plan --out {out_path}` again"
                )
        click.echo(
            render_plan_text(
                result,
                root=workspace,
                color=use_color(color),
                next_command=next_command,
            )
        )
        if out_path is not None:
            note = "" if result.valid else " It has errors, so apply will refuse it."
            click.echo(f"\nSaved plan {result.plan_id} to {out_path}.{note}")
    if not result.valid:
        raise SystemExit(EXIT_FAILURE)
    if detailed_exitcode and result.has_changes:
        raise SystemExit(EXIT_PLAN_HAS_CHANGES)
    raise SystemExit(EXIT_OK)


@click.command()
@click.argument(
    "plan_file", required=False, type=click.Path(dir_okay=False, path_type=Path)
)
@workspace_option
@state_option
@click.option("--auto-approve", is_flag=True, help="Apply without asking (for CI).")
@click.option(
    "--allow-uncommitted",
    is_flag=True,
    help="Apply a plan whose files are not all committed to git, if they equal the "
    "working tree's files. The revision is labelled COMMIT+dirty.",
)
@click.option(
    "--reason",
    default="",
    help="Why this apply happens; stored in the revision and the audit trail.",
)
@click.option(
    "--lock-timeout",
    type=FiniteSeconds(min=0),
    default=0,
    show_default=True,
    help="Seconds to wait for another apply to finish.",
)
@color_option
def apply(
    plan_file: Path | None,
    workspace: Path,
    state_path: Path | None,
    auto_approve: bool,
    allow_uncommitted: bool,
    reason: str,
    lock_timeout: float,
    color: str,
) -> None:
    """Make the reviewed configuration the active revision.

    With PLAN_FILE, applies exactly that saved plan and refuses when it is
    stale, when its files differ from the git commit it names, or when its
    configuration fails the checks. Without it, makes a plan, shows it and
    prompts for confirmation. Answering no, or closing the input, exits 1.

    A plan with uncommitted changes is refused unless --allow-uncommitted is
    given, so that what runs was reviewed in git. With it, the uncommitted
    files must equal those in the working tree.

        actionplane apply plan.json
        actionplane apply --auto-approve --reason "merge of #42"
    """
    from actionplane.plan.apply import apply_plan, require_committed
    from actionplane.plan.bundle import short_commit
    from actionplane.plan.make import make_plan
    from actionplane.plan.model import load_plan
    from actionplane.plan.render import render_plan_text
    from actionplane.state import open_state

    state = open_state(state_path, workspace)
    try:
        if plan_file is not None:
            saved = load_plan(plan_file)
        else:
            saved = make_plan(workspace, state=state)
            saved.to_dict()
            click.echo(render_plan_text(saved, root=workspace, color=use_color(color)))
            if not saved.has_changes:
                raise SystemExit(EXIT_OK)
            require_committed(saved, allow_uncommitted)
            if saved.valid and not auto_approve and not confirm_apply():
                click.echo("Apply cancelled.", err=True)
                raise SystemExit(EXIT_FAILURE)
        result = apply_plan(
            saved,
            state,
            workspace,
            reason=reason,
            lock_wait_seconds=lock_timeout,
            allow_uncommitted=allow_uncommitted,
        )
    finally:
        state.close()
    if result.lock_takeover and result.lock_holder_ended:
        click.echo(
            f"Took over the apply lock held by {result.lock_takeover}, whose process "
            "on this host has ended.",
            err=True,
        )
    elif result.lock_takeover:
        click.echo(
            f"Took over an expired apply lock held by {result.lock_takeover}.", err=True
        )
    revision = result.revision
    commit = short_commit(revision.git_commit)
    if result.applied:
        click.echo(
            f"Applied {saved.plan_id}: revision {revision.serial} ({commit}) is now active."
        )
        if saved.desired.dirty:
            click.echo(
                "It contains changes not committed to git: "
                + ", ".join(saved.desired.dirty_files)
            )
    else:
        click.echo(
            f"No changes: revision {revision.serial} ({commit}) already holds this configuration."
        )


def confirm_apply() -> bool:
    """Ask whether to apply the plan shown, counting the end of input as no.

    Ctrl-C still raises click.Abort, which the CLI reports as interrupted.
    """
    try:
        return click.confirm("\nApply this plan?", default=False)
    except click.Abort as exc:
        # click.confirm turns both EOFError and KeyboardInterrupt into Abort,
        # and the original error stays in __context__ (checked on click 8.5.1).
        if isinstance(exc.__context__, EOFError):
            click.echo()
            return False
        raise


@click.group()
def lock() -> None:
    """Inspect apply locks: who holds each one, why, and until when."""


@lock.command("list")
@workspace_option
@state_option
@format_option("text", "json")
def lock_list(workspace: Path, state_path: Path | None, output_format: str) -> None:
    """List locks with holder, reason and expiry.

    actionplane lock list
    """
    import json
    from datetime import UTC, datetime

    from actionplane.state import open_state

    state = open_state(state_path, workspace)
    try:
        locks = state.list_locks()
    finally:
        state.close()
    now = datetime.now(UTC)
    if output_format == "json":
        rows = [
            {
                "id": item.id,
                "name": item.name,
                "holder": item.holder,
                "reason": item.reason,
                "acquired_at": item.acquired_at.isoformat(),
                "expires_at": item.expires_at.isoformat(),
                "expired": item.is_expired(now),
            }
            for item in locks
        ]
        click.echo(json.dumps({"format_version": "1", "locks": rows}, indent=2))
        return
    if not locks:
        click.echo("No locks held.")
        return
    for item in locks:
        state_text = (
            "expired"
            if item.is_expired(now)
            else f"expires {item.expires_at:%Y-%m-%d %H:%M:%S}Z"
        )
        click.echo(
            f"{item.id}  {item.name}  held by {item.holder} since {item.acquired_at:%Y-%m-%d %H:%M:%S}Z, {state_text}: {item.reason}"
        )


@click.command()
@click.argument("lock_id")
@workspace_option
@state_option
def unlock(lock_id: str, workspace: Path, state_path: Path | None) -> None:
    """Remove a stuck lock, whoever holds it; the removal is audited.

    actionplane unlock lock_01J...
    """
    from actionplane.plan.apply import current_user
    from actionplane.state import open_state

    state = open_state(state_path, workspace)
    try:
        removed = state.force_unlock(lock_id, actor=current_user())
    finally:
        state.close()
    click.echo(f"Removed lock {removed.id} ({removed.name}) held by {removed.holder}.")
