"""`actionplane comment`: post the plan as a sticky pull-request comment."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from actionplane.errors import PlanError, UsageError
from actionplane.github.client import GitHubClient
from actionplane.github.comment import (
    DEFAULT_MAX_PARTS,
    render_comments,
    render_single,
)
from actionplane.github.content import CommentContent
from actionplane.github.context import (
    api_url_from_env,
    resolve_pull_request,
    token_from_env,
)
from actionplane.github.identity import checked_login
from actionplane.github.markdown_file import content_from_markdown
from actionplane.github.publish import (
    STEP_SUMMARY_LIMIT_BYTES,
    PublishOutcome,
    publish_plan,
)

DEFAULT_WORKSPACE_NAME = "default"
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command()
@click.option(
    "--plan",
    "plan_file",
    type=_FILE,
    help="Saved plan JSON from `actionplane plan --out FILE`.",
)
@click.option(
    "--markdown-file",
    type=_FILE,
    help="Pre-rendered markdown plan; each `## ` heading becomes a folded section.",
)
@click.option(
    "--repo", metavar="OWNER/NAME", help="Repository [default: $GITHUB_REPOSITORY]."
)
@click.option(
    "--pr",
    "pr_number",
    type=click.IntRange(min=1),
    help="Pull request number [default: from $GITHUB_EVENT_PATH or $GITHUB_REF].",
)
@click.option(
    "--workspace-name",
    help="Name in the comment marker; one sticky comment per name [default: the plan's workspace, or 'default'].",
)
@click.option(
    "--artifact-url",
    metavar="URL_OR_PATH",
    help="Where the full plan is, linked when the plan does not fit in --max-parts comments.",
)
@click.option(
    "--max-parts",
    type=click.IntRange(1, 50),
    default=DEFAULT_MAX_PARTS,
    show_default=True,
    help="Maximum number of comments for one plan.",
)
@click.option(
    "--bot-login",
    envvar="ACTIONPLANE_BOT_LOGIN",
    metavar="LOGIN",
    help="Account that posts the comments, such as my-app[bot]. Only its comments"
    " with the plan marker are edited or deleted. Also read from"
    " ACTIONPLANE_BOT_LOGIN [default: the token's user from GET /user, or"
    " github-actions[bot] for tokens that cannot read it].",
)
@click.option(
    "--dry-run", is_flag=True, help="Print the comment bodies instead of posting them."
)
def comment(
    plan_file: Path | None,
    markdown_file: Path | None,
    repo: str | None,
    pr_number: int | None,
    workspace_name: str | None,
    artifact_url: str | None,
    max_parts: int,
    bot_login: str | None,
    dry_run: bool,
) -> None:
    """Post the plan as a sticky pull-request comment, split below GitHub's limit.

    A later run edits the same comments in place, adds continuation parts when
    the plan grew and deletes them when it shrank. Only comments that the
    posting account wrote are reused: a comment with the plan marker by anyone
    else is left alone, with a warning. Reads GITHUB_TOKEN,
    GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_EVENT_PATH, GITHUB_REF and
    GITHUB_STEP_SUMMARY. Example in a pull_request workflow:

        actionplane comment --plan plan.json

    \b
    Exit codes:
      0  posted; or the token cannot write (pull requests from forks) and the
         plan was written to the job summary instead, with a warning
      1  the plan was posted nowhere, or GitHub rejected a call
      2  usage error
    """
    content = _load_content(plan_file, markdown_file, workspace_name)
    if bot_login is not None:
        bot_login = checked_login(bot_login)
    bodies = render_comments(content, max_parts=max_parts, artifact=artifact_url)
    if dry_run:
        click.echo("\n\n".join(bodies))
        return

    environ = os.environ
    pull_request = resolve_pull_request(repo, pr_number, environ)
    token = token_from_env(environ)
    with GitHubClient(token, api_url=api_url_from_env(environ)) as client:
        outcome = publish_plan(
            client,
            pull_request,
            content.workspace,
            bodies,
            summary_markdown=_summary_markdown(content, bodies),
            step_summary=environ.get("GITHUB_STEP_SUMMARY"),
            bot_login=bot_login,
        )
    _report(outcome, str(pull_request), environ)


def _load_content(
    plan_file: Path | None, markdown_file: Path | None, workspace_name: str | None
) -> CommentContent:
    if (plan_file is None) == (markdown_file is None):
        raise UsageError("Pass exactly one of --plan FILE and --markdown-file FILE.")
    if workspace_name is not None and not workspace_name.strip():
        raise UsageError("--workspace-name is empty; pass a name or leave it out.")
    if markdown_file is not None:
        text = markdown_file.read_text(encoding="utf-8")
        return content_from_markdown(text, workspace_name or DEFAULT_WORKSPACE_NAME)
    assert plan_file is not None
    content = _content_from_plan(plan_file)
    if workspace_name:
        content = dataclasses.replace(content, workspace=workspace_name)
    return content


def _content_from_plan(path: Path) -> CommentContent:
    try:
        from actionplane.plan.markdown import comment_content
    except ImportError as exc:
        if exc.name not in {"actionplane.plan", "actionplane.plan.markdown"}:
            raise
        raise UsageError(
            "--plan needs the markdown plan renderer (actionplane.plan.markdown), "
            "which this installation does not have. Pass a rendered plan with "
            "--markdown-file instead."
        ) from None
    content: CommentContent = comment_content(_read_plan(path))
    return content


def _read_plan(path: Path) -> dict[str, Any]:
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise PlanError(
            f"The plan file {path} is not valid JSON: {exc}. Write it again with "
            "`actionplane plan --out FILE`."
        ) from None
    if not isinstance(plan, dict):
        raise PlanError(
            f"The plan file {path} contains a JSON {type(plan).__name__}, not an "
            "object. Write it again with `actionplane plan --out FILE`."
        )
    return plan


def _summary_markdown(content: CommentContent, bodies: list[str]) -> str:
    """Return the whole plan for the job summary, or the bodies if it is too big."""
    whole = render_single(content)
    if len(whole.encode("utf-8")) <= STEP_SUMMARY_LIMIT_BYTES:
        return whole
    return "\n\n".join(bodies)


def _report(outcome: PublishOutcome, target: str, environ: Mapping[str, str]) -> None:
    if outcome.warning:
        click.echo(f"Warning: {outcome.warning}", err=True)
        if environ.get("GITHUB_ACTIONS") == "true":
            click.echo(
                f"::warning title=Plan comment not posted::{_command_escape(outcome.warning)}"
            )
        return
    result = outcome.comments
    assert result is not None
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
        if environ.get("GITHUB_ACTIONS") == "true":
            click.echo(f"::warning title=Plan comment::{_command_escape(warning)}")
    click.echo(
        f"Plan comment on {target}: {len(result.created)} created, "
        f"{len(result.updated)} updated, {len(result.unchanged)} unchanged, "
        f"{len(result.deleted)} deleted."
    )
    for url in result.urls:
        click.echo(url)


def _command_escape(text: str) -> str:
    """Escape a message for a GitHub Actions workflow command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
