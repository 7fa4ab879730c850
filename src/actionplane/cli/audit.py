"""`actionplane audit log | verify`: read and check the hash-chained audit trail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from actionplane.cli.options import format_option, state_option, workspace_option
from actionplane.errors import EXIT_FAILURE

if TYPE_CHECKING:
    from actionplane.runs.audit_check import Disagreement, RevisionDisagreement
    from actionplane.state.models import AuditVerification


_CHANGED_OUTSIDE = (
    "The state store was changed outside actionplane. Keep the file for"
    " investigation and restore the state from a backup."
)


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
    """Check the audit chain and the run tables against it; exit 1 naming each problem.

    Checks every entry's hash and link. Then checks that each run's status,
    status history, digest, requester and their kind, decision, approvals and
    evidence match what the run's audit entries record. Last, checks that each
    revision's config snapshot still hashes to the digests stored and audited
    when it was applied. Deleting the newest entries leaves a valid chain, so
    keep the printed head hash outside the state store (for example in CI
    logs) and pass it as --head later.

    \b
        actionplane audit verify
        actionplane audit verify --head 3f2a...
    """
    from actionplane.runs.audit_check import (
        check_revisions_against_audit,
        check_runs_against_audit,
    )
    from actionplane.state import open_state

    with open_state(state_path, workspace) as state:
        result = state.verify_audit(expected_head=expected_head)
        runs_checked, disagreements = check_runs_against_audit(state)
        revisions_checked, revision_disagreements = check_revisions_against_audit(state)
    ok = result.ok and not disagreements and not revision_disagreements
    if output_format == "json":
        body = {
            "format_version": "1",
            "ok": ok,
            "checked": result.checked,
            "runs_checked": runs_checked,
            "head_hash": result.head_hash,
            "problems": [{"seq": p.seq, "problem": p.problem} for p in result.problems],
            "disagreements": [d.to_json() for d in disagreements],
            "revisions_checked": revisions_checked,
            "revision_disagreements": [d.to_json() for d in revision_disagreements],
        }
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))
    else:
        lines = _verify_lines(
            result,
            runs_checked,
            disagreements,
            revisions_checked,
            revision_disagreements,
            expected_head,
        )
        click.echo("\n".join(lines))
    if not ok:
        click.get_current_context().exit(EXIT_FAILURE)


def _verify_lines(
    result: AuditVerification,
    runs_checked: int,
    disagreements: list[Disagreement],
    revisions_checked: int,
    revision_disagreements: list[RevisionDisagreement],
    expected_head: str | None,
) -> list[str]:
    from actionplane.runs.render import counted

    entries = counted(result.checked, "entry", "entries")
    runs = counted(runs_checked, "run")
    if result.ok:
        lines = [f"Audit trail intact: {entries}, every hash and link valid."]
    else:
        lines = [f"Audit trail broken: {counted(len(result.problems), 'problem')}."]
        lines += [f"  entry #{p.seq}: {p.problem}" for p in result.problems]
    if disagreements:
        lines.append(
            f"Run tables disagree with the audit trail:"
            f" {counted(len(disagreements), 'difference')} in {runs}."
        )
        lines += [f"  {d.message}" for d in disagreements]
    else:
        lines.append(f"Run tables match the audit trail: {runs} checked.")
    lines += _revision_lines(revisions_checked, revision_disagreements)

    if result.ok and not disagreements and not revision_disagreements:
        lines.append(f"Head hash: {result.head_hash}")
        if expected_head is None:
            lines.append(
                "Deleting the newest entries leaves a valid chain, so keep this hash"
                " outside the state store (for example in CI logs) and check"
                f" against it later: actionplane audit verify --head {result.head_hash}"
            )
        else:
            lines.append("It matches the hash given with --head.")
    else:
        lines.append(_CHANGED_OUTSIDE)
    return lines


def _revision_lines(
    revisions_checked: int, disagreements: list[RevisionDisagreement]
) -> list[str]:
    """Return one line when every revision matches, else a heading and each finding."""
    from actionplane.runs.render import counted

    revisions = counted(revisions_checked, "revision")
    if not disagreements:
        return [
            f"Revisions match their digests and the audit trail: {revisions} checked."
        ]
    lines = [
        "Revisions disagree with their digests or the audit trail:"
        f" {counted(len(disagreements), 'difference')} in {revisions}."
    ]
    lines += [f"  {d.message}" for d in disagreements]
    return lines
