"""Keep one set of plan comments per workspace on a pull request.

The bodies of one plan are parts 1..N. A later plan with the same workspace
edits those comments in place, part 1 first, creates the parts that are
missing and deletes parts left over from a longer plan, so the thread never
fills with outdated plans.

Only comments written by the account that posts are edited or deleted (see
``identity``). A marked comment by anyone else is left alone and reported,
because otherwise any user could post the marker first and have the plan
written into their own comment.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from actionplane.github.client import GitHubClient, IssueComment
from actionplane.github.comment import read_marker, workspace_token
from actionplane.github.context import PullRequest
from actionplane.github.identity import (
    ACTIONS_BOT_LOGIN,
    SOURCE_CREATED,
    CommentAuthor,
    author_of_created,
    resolve_author,
)


@dataclass
class StickyResult:
    """Comment ids a sync created, updated, left or deleted, and part URLs in order.

    ``ignored`` lists marked comments by other accounts. ``warnings`` has one
    line for each of them, and one when the posting account was only learned
    from a comment created by this sync.
    """

    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    created: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    ignored: list[int] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def sync_sticky_comments(
    client: GitHubClient,
    pull_request: PullRequest,
    workspace: str,
    bodies: list[str],
    *,
    bot_login: str | None = None,
) -> StickyResult:
    """Make the workspace's plan comments on the pull request equal ``bodies``.

    A comment counts as part K of this workspace when its first line is the
    marker of part K and the posting account wrote it. When several such
    comments carry the same marker (two runs raced), the oldest is kept and
    the others are deleted. A body that is already equal is not sent again.
    ``bot_login`` names the posting account instead of asking GitHub.
    """
    marked = _marked_comments(client, pull_request, workspace)
    # Without marked comments there is nothing to reuse, so the account is
    # only looked up when needed.
    author = resolve_author(client, bot_login) if marked else None
    result = StickyResult()
    kept_ids: set[int] = set()
    for part, body in enumerate(bodies, start=1):
        own = [c for c in marked[part] if author is not None and author.wrote(c)]
        comment = _write_part(client, pull_request, own[:1], body, result)
        kept_ids.add(comment.id)
        result.urls.append(comment.html_url)
        if author is not None and author.assumed and comment.id in result.created:
            author = author_of_created(comment)
    _delete_or_ignore(client, pull_request, marked, kept_ids, author, result)
    if author is not None and _replaced_unrecognized(author, result):
        result.warnings.append(
            f"This token posts as {author.login}, not {ACTIONS_BOT_LOGIN}, so its"
            " earlier plan comments were deleted and posted again instead of"
            f" edited. Pass --bot-login {author.login} to edit them in place."
        )
    return result


def _marked_comments(
    client: GitHubClient, pull_request: PullRequest, workspace: str
) -> defaultdict[int, list[IssueComment]]:
    """Return the comments with this workspace's marker by part, oldest first."""
    token = workspace_token(workspace)
    parts: defaultdict[int, list[IssueComment]] = defaultdict(list)
    comments = client.list_issue_comments(pull_request.repo, pull_request.number)
    for comment in sorted(comments, key=lambda item: item.id):
        info = read_marker(comment.body)
        if info is not None and info.workspace_token == token:
            parts[info.part].append(comment)
    return parts


def _write_part(
    client: GitHubClient,
    pull_request: PullRequest,
    current: list[IssueComment],
    body: str,
    result: StickyResult,
) -> IssueComment:
    if not current:
        created = client.create_comment(pull_request.repo, pull_request.number, body)
        result.created.append(created.id)
        return created
    comment = current[0]
    if comment.body == body:
        result.unchanged.append(comment.id)
        return comment
    updated = client.update_comment(pull_request.repo, comment.id, body)
    result.updated.append(updated.id)
    return updated


def _replaced_unrecognized(author: CommentAuthor, result: StickyResult) -> bool:
    """Return whether an account learned from a new comment had comments deleted.

    Parts before that comment were matched against the assumed account, so the
    account's own comments for them were not recognized.
    """
    learned = author.source == SOURCE_CREATED
    renamed = author.login.casefold() != ACTIONS_BOT_LOGIN.casefold()
    return learned and renamed and bool(result.deleted)


def _delete_or_ignore(
    client: GitHubClient,
    pull_request: PullRequest,
    marked: defaultdict[int, list[IssueComment]],
    kept_ids: set[int],
    author: CommentAuthor | None,
    result: StickyResult,
) -> None:
    """Delete the account's marked comments that were not kept, and report others."""
    for part in sorted(marked):
        for comment in marked[part]:
            if comment.id in kept_ids:
                continue
            if author is not None and author.wrote(comment):
                client.delete_comment(pull_request.repo, comment.id)
                result.deleted.append(comment.id)
                continue
            result.ignored.append(comment.id)
            writer = comment.author or "an unknown account"
            poster = author.login if author is not None else "this token"
            result.warnings.append(
                f"Ignored comment {comment.id} by {writer}: it carries this"
                f" workspace's plan marker (part {part}) but was not written by"
                f" {poster}, so it was neither edited nor deleted."
            )
