"""A small client for the GitHub REST endpoints that manage issue comments.

Pull-request comments are issue comments in the REST API. The client sends
the token only to the configured API origin, never logs it, and removes it
from any text that reaches an exception.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from actionplane import __version__
from actionplane.errors import ActionPlaneError

logger = logging.getLogger("actionplane.github")

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
# Retries for idempotent requests (GET, PATCH, DELETE) after a 502, 503 or 504
# or a network error. POST is never retried: a lost response could hide a
# comment that was created, and a retry would add a second one.
DEFAULT_RETRY_DELAYS = (1.0, 3.0)
_RETRY_STATUSES = {502, 503, 504}
# Stops pagination that never ends; 100 pages of 100 comments is far more
# than any pull request has.
_MAX_PAGES = 100


class GitHubError(ActionPlaneError):
    """A GitHub API call failed; ``status`` is the HTTP status, or 0."""

    def __init__(self, message: str, *, status: int = 0, github_message: str = ""):
        super().__init__(message)
        self.status = status
        self.github_message = github_message


class GitHubWriteDeniedError(GitHubError):
    """The token may read the repository but not write comments to it."""


@dataclass(frozen=True)
class GitHubUser:
    """A GitHub account: its login and the REST API's ``type`` ("User", "Bot")."""

    login: str
    type: str

    @classmethod
    def from_json(cls, data: Any) -> GitHubUser:
        user = data if isinstance(data, dict) else {}
        return cls(login=str(user.get("login") or ""), type=str(user.get("type") or ""))


@dataclass(frozen=True)
class IssueComment:
    """One issue or pull-request comment as the REST API returns it.

    ``author`` is the login of the comment's ``user`` and ``author_type`` its
    ``type``.
    """

    id: int
    body: str
    html_url: str
    author: str
    author_type: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IssueComment:
        user = GitHubUser.from_json(data.get("user"))
        return cls(
            id=int(data["id"]),
            body=str(data.get("body") or ""),
            html_url=str(data.get("html_url") or ""),
            author=user.login,
            author_type=user.type,
        )


class GitHubClient:
    """Issue-comment calls against one GitHub API origin with one token.

    Use it as a context manager, or call ``close``. ``transport`` and
    ``retry_delays`` (seconds between retries) exist for tests.
    """

    def __init__(
        self,
        token: str,
        *,
        api_url: str = DEFAULT_API_URL,
        timeout: float = 30.0,
        retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS,
        transport: httpx.BaseTransport | None = None,
    ):
        self._token = _Secret(token)
        self._origin = _origin(api_url)
        self._retry_delays = retry_delays
        self._http = httpx.Client(
            base_url=api_url.rstrip("/"),
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {token}",
                "User-Agent": f"actionplane/{__version__}",
                "X-GitHub-Api-Version": API_VERSION,
            },
            timeout=timeout,
            transport=transport,
        )

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def authenticated_user(self) -> GitHubUser:
        """Return the account the token belongs to, from ``GET /user``.

        GitHub App installation tokens, the GitHub Actions job token among
        them, get 403 "Resource not accessible by integration" here.
        """
        return GitHubUser.from_json(self._request("GET", "/user").json())

    def list_issue_comments(self, repo: str, number: int) -> list[IssueComment]:
        """Return every comment on an issue or pull request, oldest first."""
        url: str | None = f"/repos/{repo}/issues/{number}/comments?per_page=100"
        comments: list[IssueComment] = []
        for _ in range(_MAX_PAGES):
            if url is None:
                return comments
            response = self._request("GET", url)
            comments.extend(IssueComment.from_json(item) for item in response.json())
            url = self._next_page(response)
        raise GitHubError(
            f"Listing the comments of {repo}#{number} did not end after "
            f"{_MAX_PAGES} pages. Check GITHUB_API_URL: the server keeps "
            "sending a next page."
        )

    def create_comment(self, repo: str, number: int, body: str) -> IssueComment:
        """Add a comment to an issue or pull request."""
        path = f"/repos/{repo}/issues/{number}/comments"
        response = self._request("POST", path, json={"body": body})
        return IssueComment.from_json(response.json())

    def update_comment(self, repo: str, comment_id: int, body: str) -> IssueComment:
        """Replace the body of a comment."""
        path = f"/repos/{repo}/issues/comments/{comment_id}"
        response = self._request("PATCH", path, json={"body": body})
        return IssueComment.from_json(response.json())

    def delete_comment(self, repo: str, comment_id: int) -> None:
        """Delete a comment; one that is already gone (404) counts as deleted."""
        path = f"/repos/{repo}/issues/comments/{comment_id}"
        self._request("DELETE", path, allow={404})

    def _next_page(self, response: httpx.Response) -> str | None:
        link = response.links.get("next")
        if not link or not link.get("url"):
            return None
        url = link["url"]
        if _origin(url) != self._origin:
            raise GitHubError(
                f"GitHub sent a next-page link to another host ({_origin(url)}). "
                "The token is only sent to GITHUB_API_URL, so pagination stops; "
                "check that GITHUB_API_URL names the API host."
            )
        return url

    def _request(
        self,
        method: str,
        url: str,
        *,
        json: dict[str, Any] | None = None,
        allow: set[int] | frozenset[int] = frozenset(),
    ) -> httpx.Response:
        delays = self._retry_delays if method != "POST" else ()
        for attempt in range(len(delays) + 1):
            response = self._send(method, url, json, final=attempt == len(delays))
            if response is not None and response.status_code not in _RETRY_STATUSES:
                break
            if attempt < len(delays):
                time.sleep(delays[attempt])
        assert response is not None  # _send raises on the final attempt
        if response.is_success or response.status_code in allow:
            return response
        raise self._error(method, response)

    def _send(
        self, method: str, url: str, json: dict[str, Any] | None, *, final: bool
    ) -> httpx.Response | None:
        """Send one request; return None after a network error unless ``final``."""
        started = time.monotonic()
        try:
            response = self._http.request(method, url, json=json)
        except httpx.TransportError as exc:
            logger.warning("%s %s failed: %s", method, _path(url), self._redact(exc))
            if final:
                raise GitHubError(
                    f"Could not reach GitHub at {self._origin} for {method} "
                    f"{_path(url)}: {self._redact(exc)}. Check the network and "
                    "GITHUB_API_URL, then rerun."
                ) from None
            return None
        elapsed_ms = (time.monotonic() - started) * 1000
        logger.info(
            "%s %s -> %d (%.0f ms)",
            method,
            _path(url),
            response.status_code,
            elapsed_ms,
        )
        return response

    def _error(self, method: str, response: httpx.Response) -> GitHubError:
        status = response.status_code
        github_message = self._redact(_github_message(response))
        what = f"GitHub API {method} {_path(str(response.request.url))} failed"
        message = f"{what}: {status} {github_message}. {_fix(status, github_message)}"
        if status == 403 and github_message.startswith("Resource not accessible"):
            return GitHubWriteDeniedError(
                message, status=status, github_message=github_message
            )
        return GitHubError(message, status=status, github_message=github_message)

    def _redact(self, value: object) -> str:
        text = str(value)
        token = self._token.value
        return text.replace(token, "***") if token else text


class _Secret:
    """A string that ``repr`` and ``str`` show as ``***``."""

    __slots__ = ("value",)

    def __init__(self, value: str):
        self.value = value

    def __repr__(self) -> str:
        return "***"

    __str__ = __repr__


def _github_message(response: httpx.Response) -> str:
    """Return GitHub's error text: ``message`` plus the messages in ``errors``."""
    try:
        data = response.json()
    except ValueError:
        return response.reason_phrase or "no error message"
    if not isinstance(data, dict):
        return response.reason_phrase or "no error message"
    parts = [str(data.get("message") or response.reason_phrase)]
    for error in data.get("errors") or []:
        if isinstance(error, dict) and error.get("message"):
            parts.append(str(error["message"]))
    return ": ".join(parts)


def _fix(status: int, github_message: str) -> str:
    if status == 401:
        return "Check that GITHUB_TOKEN holds a valid, unexpired token."
    if status == 403 and github_message.startswith("Resource not accessible"):
        return (
            "Give the workflow `permissions: pull-requests: write`; pull requests "
            "from forks only get a read-only token."
        )
    if status == 403 or status == 429:
        return "Wait for the GitHub rate limit to reset, then rerun."
    if status == 404:
        return "Check the repository and pull request number, and that the token can see the repository."
    if status >= 500:
        return "GitHub had a server error; rerun later."
    return "Check the request shown above."


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _path(url: str) -> str:
    """Return the path and query of a URL, for messages and logs."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
