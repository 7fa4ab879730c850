"""Find the repository, pull request, token and API URL of a workflow run.

Options win over the variables GitHub Actions sets for every job:
``GITHUB_REPOSITORY``, ``GITHUB_EVENT_PATH`` (the event payload as JSON),
``GITHUB_REF``, ``GITHUB_TOKEN`` (set by the workflow from the job token) and
``GITHUB_API_URL``.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from actionplane.errors import UsageError
from actionplane.github.client import DEFAULT_API_URL

_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_PULL_REF = re.compile(r"refs/pull/([1-9][0-9]*)/(?:merge|head)")


@dataclass(frozen=True)
class PullRequest:
    """The pull request to comment on: ``owner/name`` and its number."""

    repo: str
    number: int

    def __str__(self) -> str:
        return f"{self.repo}#{self.number}"


def resolve_pull_request(
    repo: str | None, number: int | None, environ: Mapping[str, str]
) -> PullRequest:
    """Resolve ``--repo`` and ``--pr`` with the workflow's variables as fallback.

    Raises ``UsageError`` naming the missing or invalid value.
    """
    repo = repo or environ.get("GITHUB_REPOSITORY") or ""
    if not _REPO.fullmatch(repo):
        shown = repr(repo) if repo else "no repository"
        raise UsageError(
            f"Invalid repository: {shown}. Pass --repo OWNER/NAME or run inside "
            "GitHub Actions, which sets GITHUB_REPOSITORY."
        )
    number = number or _number_from_event(environ) or _number_from_ref(environ)
    if not number:
        raise UsageError(
            "No pull request number: pass --pr N, or run in a workflow triggered "
            "by pull_request, which sets GITHUB_EVENT_PATH and GITHUB_REF."
        )
    return PullRequest(repo, number)


def _number_from_event(environ: Mapping[str, str]) -> int | None:
    path = environ.get("GITHUB_EVENT_PATH")
    if not path:
        return None
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"Cannot read the event payload {path} named by GITHUB_EVENT_PATH: "
            f"{exc}. Pass --pr N instead."
        ) from None
    return _event_number(event) if isinstance(event, dict) else None


def _event_number(event: dict[str, Any]) -> int | None:
    """Return the pull request number of a pull_request or issue_comment event."""
    pull_request = event.get("pull_request")
    if isinstance(pull_request, dict) and isinstance(pull_request.get("number"), int):
        return int(pull_request["number"])
    issue = event.get("issue")
    if isinstance(issue, dict) and issue.get("pull_request"):
        number = issue.get("number")
        return number if isinstance(number, int) else None
    return None


def _number_from_ref(environ: Mapping[str, str]) -> int | None:
    match = _PULL_REF.fullmatch(environ.get("GITHUB_REF", ""))
    return int(match.group(1)) if match else None


def token_from_env(environ: Mapping[str, str]) -> str:
    """Return ``GITHUB_TOKEN``, or raise ``UsageError`` when it is unset."""
    token = environ.get("GITHUB_TOKEN", "").strip()
    if not token:
        raise UsageError(
            "GITHUB_TOKEN is not set. In a workflow, add "
            "`env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}` to the step; "
            "locally, export a token that can write pull-request comments."
        )
    return token


def api_url_from_env(environ: Mapping[str, str]) -> str:
    """Return ``GITHUB_API_URL`` (default https://api.github.com), checked.

    Plain http is accepted only for a loopback host, because the token would
    otherwise cross the network unencrypted.
    """
    url = environ.get("GITHUB_API_URL", "").strip() or DEFAULT_API_URL
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and _is_loopback(parts.hostname or ""):
        return url
    raise UsageError(
        f"Invalid GITHUB_API_URL {url!r}: it must be an https URL (plain http "
        "only for a loopback host). Unset it to use https://api.github.com."
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
