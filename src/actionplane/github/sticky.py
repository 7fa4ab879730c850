"""Keep one set of plan comments per workspace on a pull request.

The bodies of one plan are parts 1..N. A later plan with the same workspace
edits those comments in place, part 1 first, creates the parts that are
missing and deletes parts left over from a longer plan, so the thread never
fills with outdated plans.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from actionplane.github.client import GitHubClient, IssueComment
from actionplane.github.comment import read_marker, workspace_token
from actionplane.github.context import PullRequest


@dataclass
class StickyResult:
    """Comment ids a sync created, updated, left or deleted, and part URLs in order."""

    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    created: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)


def sync_sticky_comments(
    client: GitHubClient, pull_request: PullRequest, workspace: str, bodies: list[str]
) -> StickyResult:
    """Make the workspace's plan comments on the pull request equal ``bodies``.

    A comment counts as part K of this workspace when its first line is the
    marker of part K. When several comments carry the same marker (two runs
    raced), the oldest is kept and the others are deleted. A body that is
    already equal is not sent again.
    """
    existing = _existing_parts(client, pull_request, workspace)
    result = StickyResult()
    for part, body in enumerate(bodies, start=1):
        matches = existing.pop(part, [])
        comment = _write_part(client, pull_request, matches[:1], body, result)
        result.urls.append(comment.html_url)
        existing[part] = matches[1:]
    for stale in existing.values():
        for comment in stale:
            client.delete_comment(pull_request.repo, comment.id)
            result.deleted.append(comment.id)
    return result


def _existing_parts(
    client: GitHubClient, pull_request: PullRequest, workspace: str
) -> dict[int, list[IssueComment]]:
    token = workspace_token(workspace)
    parts: dict[int, list[IssueComment]] = defaultdict(list)
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
