from __future__ import annotations

import json
from pathlib import Path

import pytest

from actionplane.errors import UsageError
from actionplane.github.context import (
    PullRequest,
    api_url_from_env,
    resolve_pull_request,
    token_from_env,
)


def event_file(tmp_path: Path, payload: dict) -> str:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    return str(path)


@pytest.mark.parametrize(
    ("repo", "number", "environ", "expected"),
    [
        ("acme/x", 5, {}, PullRequest("acme/x", 5)),
        (
            None,
            None,
            {"GITHUB_REPOSITORY": "acme/y", "GITHUB_REF": "refs/pull/9/merge"},
            PullRequest("acme/y", 9),
        ),
        (
            None,
            None,
            {"GITHUB_REPOSITORY": "acme/y", "GITHUB_REF": "refs/pull/12/head"},
            PullRequest("acme/y", 12),
        ),
        (
            "acme/x",
            3,
            {"GITHUB_REPOSITORY": "acme/y", "GITHUB_REF": "refs/pull/9/merge"},
            PullRequest("acme/x", 3),
        ),
    ],
    ids=["options", "merge-ref", "head-ref", "options-win"],
)
def test_resolve_pull_request(repo, number, environ, expected) -> None:
    assert resolve_pull_request(repo, number, environ) == expected


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"pull_request": {"number": 23}}, 23),
        ({"issue": {"number": 31, "pull_request": {"url": "x"}}}, 31),
    ],
    ids=["pull-request-event", "issue-comment-on-pull-request"],
)
def test_number_from_event_payload(
    tmp_path: Path, payload: dict, expected: int
) -> None:
    environ = {
        "GITHUB_REPOSITORY": "acme/x",
        "GITHUB_EVENT_PATH": event_file(tmp_path, payload),
        "GITHUB_REF": "refs/heads/main",
    }

    assert resolve_pull_request(None, None, environ).number == expected


@pytest.mark.parametrize(
    ("repo", "environ", "message"),
    [
        (
            None,
            {"GITHUB_REF": "refs/pull/1/merge"},
            "Invalid repository: no repository",
        ),
        ("acme", {"GITHUB_REF": "refs/pull/1/merge"}, "Invalid repository: 'acme'"),
        (
            "acme/x",
            {"GITHUB_REF": "refs/heads/main"},
            "No pull request number: pass --pr N",
        ),
        ("acme/x", {}, "No pull request number"),
    ],
    ids=["no-repo", "repo-without-owner", "push-ref", "nothing"],
)
def test_resolve_pull_request_errors(repo, environ, message) -> None:
    with pytest.raises(UsageError, match=message):
        resolve_pull_request(repo, None, environ)


def test_issue_event_without_pull_request(tmp_path: Path) -> None:
    environ = {"GITHUB_EVENT_PATH": event_file(tmp_path, {"issue": {"number": 4}})}

    with pytest.raises(UsageError, match="No pull request number"):
        resolve_pull_request("acme/x", None, environ)


def test_unreadable_event_payload(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text("{not json")

    with pytest.raises(UsageError, match="Cannot read the event payload"):
        resolve_pull_request("acme/x", None, {"GITHUB_EVENT_PATH": str(path)})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "https://api.github.com"),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:1", "http://localhost:1"),
    ],
    ids=["default", "enterprise", "loopback-ip", "localhost"],
)
def test_api_url_accepted(value: str | None, expected: str) -> None:
    environ = {} if value is None else {"GITHUB_API_URL": value}

    assert api_url_from_env(environ) == expected


@pytest.mark.parametrize(
    "value",
    ["http://api.github.com", "ftp://x", "api.github.com", "https://"],
    ids=["plain-http-remote", "ftp", "no-scheme", "no-host"],
)
def test_api_url_rejected(value: str) -> None:
    with pytest.raises(UsageError, match="Invalid GITHUB_API_URL"):
        api_url_from_env({"GITHUB_API_URL": value})


def test_missing_token() -> None:
    with pytest.raises(UsageError, match="GITHUB_TOKEN is not set"):
        token_from_env({"GITHUB_TOKEN": "  "})
