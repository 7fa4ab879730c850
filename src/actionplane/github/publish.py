"""Post a plan comment, or write it to the job summary when the token cannot.

Pull requests from forks run with a read-only ``GITHUB_TOKEN``, and GitHub
rejects a comment write with 403 "Resource not accessible by integration".
The plan then goes to the file named by ``GITHUB_STEP_SUMMARY``, which GitHub
shows on the workflow run's summary page. The outcome decides the exit code:

- 0 when the comments were posted;
- 0 with ``warning`` set when the token could not write but the summary was
  written, because the plan is still visible to reviewers;
- ``PublishError`` (exit 1) when neither worked, or on any other failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from actionplane.errors import ActionPlaneError
from actionplane.github.client import GitHubClient, GitHubWriteDeniedError
from actionplane.github.context import PullRequest
from actionplane.github.sticky import StickyResult, sync_sticky_comments

# GitHub shows at most 1 MiB of job summary per step.
STEP_SUMMARY_LIMIT_BYTES = 1024 * 1024


class PublishError(ActionPlaneError):
    """The plan reached neither the pull request nor the job summary."""


@dataclass(frozen=True)
class PublishOutcome:
    """The destination of the plan: the synced comments, or the job summary file."""

    comments: StickyResult | None = None
    summary_path: Path | None = None
    warning: str | None = None


def publish_plan(
    client: GitHubClient,
    pull_request: PullRequest,
    workspace: str,
    bodies: list[str],
    *,
    summary_markdown: str,
    step_summary: str | None,
    bot_login: str | None = None,
) -> PublishOutcome:
    """Sync the sticky comments; on a write-denied token, write the summary.

    ``summary_markdown`` is the whole plan as one body for the job summary.
    ``step_summary`` is the value of ``GITHUB_STEP_SUMMARY``, if set.
    ``bot_login`` names the account that posts (see ``sync_sticky_comments``).
    Other GitHub errors propagate unchanged.
    """
    try:
        result = sync_sticky_comments(
            client, pull_request, workspace, bodies, bot_login=bot_login
        )
    except GitHubWriteDeniedError as exc:
        reason = (
            f"The token cannot write comments on {pull_request} "
            f"({exc.status} {exc.github_message}). Pull requests from forks get "
            "a read-only GITHUB_TOKEN; otherwise give the workflow "
            "`permissions: pull-requests: write`."
        )
        path = _write_step_summary(step_summary, summary_markdown, reason)
        return PublishOutcome(
            summary_path=path,
            warning=f"{reason} The plan was written to the job summary instead.",
        )
    return PublishOutcome(comments=result)


def _write_step_summary(step_summary: str | None, markdown: str, reason: str) -> Path:
    if not step_summary:
        raise PublishError(
            f"{reason} GITHUB_STEP_SUMMARY is not set, so the plan was not "
            "written anywhere. Run inside GitHub Actions or fix the token."
        )
    path = Path(step_summary)
    text = markdown.rstrip("\n") + "\n"
    if len(text.encode("utf-8")) > STEP_SUMMARY_LIMIT_BYTES:
        raise PublishError(
            f"{reason} The plan is {len(text.encode('utf-8'))} bytes, over the "
            f"{STEP_SUMMARY_LIMIT_BYTES}-byte job summary limit, so it was not "
            "written there either. Publish the plan as an artifact with "
            "--artifact-url."
        )
    try:
        # Append: several steps of one job may share the summary file.
        with path.open("a", encoding="utf-8") as summary:
            summary.write(text)
    except OSError as exc:
        raise PublishError(
            f"{reason} Writing the job summary {path} failed too: "
            f"{exc.strerror or exc}. Check GITHUB_STEP_SUMMARY."
        ) from None
    return path
