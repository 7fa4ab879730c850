"""Learn which GitHub account posts the plan comments.

Anyone who can comment on a pull request can start a comment with the plan
marker, so a sticky sync reuses only marked comments that this account wrote.
The login given with ``--bot-login`` names the account. Without it, the account
is the token's user from ``GET /user``. GitHub App installation tokens, the
Actions job token among them, cannot call ``GET /user``. For them the account
is assumed to be ``github-actions[bot]`` until a comment created in the same
run shows the real author.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from actionplane.errors import UsageError
from actionplane.github.client import GitHubClient, GitHubError, IssueComment

logger = logging.getLogger("actionplane.github")

# The account that comments made with the GitHub Actions job token belong to.
ACTIONS_BOT_LOGIN = "github-actions[bot]"
BOT_TYPE = "Bot"
# GitHub logins: letters, digits and hyphens, plus an underscore before the
# suffix of Enterprise Managed Users and "[bot]" after the name of a GitHub App.
_LOGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(?:\[bot\])?")
# GET /user rejects installation tokens with 403 "Resource not accessible by
# integration".
_NO_USER_STATUS = 403

SOURCE_OPTION = "--bot-login"
SOURCE_USER_ENDPOINT = "GET /user"
SOURCE_ASSUMED = "assumed"
SOURCE_CREATED = "created comment"


@dataclass(frozen=True)
class CommentAuthor:
    """The account whose marked comments a sync may update or delete.

    ``type`` is the REST API's ``user.type`` ("User" or "Bot"), and None
    matches any type. ``source`` records how the account was learned.
    """

    login: str
    type: str | None
    source: str

    @property
    def assumed(self) -> bool:
        """Whether this is the fallback guess, not a fact learned from GitHub."""
        return self.source == SOURCE_ASSUMED

    def wrote(self, comment: IssueComment) -> bool:
        # GitHub logins are case-insensitive.
        if comment.author.casefold() != self.login.casefold():
            return False
        return self.type is None or comment.author_type == self.type


ASSUMED_ACTIONS_BOT = CommentAuthor(ACTIONS_BOT_LOGIN, BOT_TYPE, SOURCE_ASSUMED)


def checked_login(login: str) -> str:
    """Return a ``--bot-login`` value, or raise UsageError when it is not a login."""
    value = login.strip()
    if not _LOGIN.fullmatch(value):
        raise UsageError(
            f"--bot-login {login!r} is not a GitHub login. Pass the login as it"
            " appears on the comments, without @, such as github-actions[bot] or"
            " my-app[bot]."
        )
    return value


def resolve_author(client: GitHubClient, bot_login: str | None) -> CommentAuthor:
    """Return the account that posts with the client's token.

    Raises GitHubError when ``GET /user`` fails with a status other than 403,
    such as 401 for a bad token.
    """
    if bot_login:
        return CommentAuthor(bot_login, None, SOURCE_OPTION)
    try:
        user = client.authenticated_user()
    except GitHubError as exc:
        if exc.status != _NO_USER_STATUS:
            raise
        logger.info(
            "GET /user failed with %d %s, as it does for GitHub App and Actions"
            " tokens; treating comments by %s as this tool's own",
            exc.status,
            exc.github_message,
            ACTIONS_BOT_LOGIN,
        )
        return ASSUMED_ACTIONS_BOT
    return CommentAuthor(user.login, user.type or None, SOURCE_USER_ENDPOINT)


def author_of_created(comment: IssueComment) -> CommentAuthor:
    """Return the author GitHub recorded for a comment this run created."""
    return CommentAuthor(comment.author, comment.author_type or None, SOURCE_CREATED)
