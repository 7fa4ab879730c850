from __future__ import annotations

import logging
import socket

import pytest
from fake_github import RunningFakeGitHub
from github_testing import PR_NUMBER, READ_TOKEN, REPO, WRITE_TOKEN

from actionplane.github.client import (
    GitHubClient,
    GitHubError,
    GitHubWriteDeniedError,
)


def client_for(github: RunningFakeGitHub, token: str = WRITE_TOKEN) -> GitHubClient:
    return GitHubClient(token, api_url=github.url, retry_delays=(0.0, 0.0))


def test_list_follows_link_pages(github: RunningFakeGitHub) -> None:
    ids = [
        github.state.add_comment(REPO, PR_NUMBER, f"c{index}") for index in range(250)
    ]
    github.state.add_comment(REPO, PR_NUMBER + 1, "other pull request")

    with client_for(github) as client:
        comments = client.list_issue_comments(REPO, PR_NUMBER)

    assert [comment.id for comment in comments] == ids
    assert comments[0].author == "someone"
    gets = [path for method, path in github.state.requests if method == "GET"]
    assert len(gets) == 3
    assert all("per_page=100" in path for path in gets)


def test_create_update_delete(github: RunningFakeGitHub) -> None:
    with client_for(github) as client:
        created = client.create_comment(REPO, PR_NUMBER, "first")
        updated = client.update_comment(REPO, created.id, "second")
        assert github.state.bodies(REPO, PR_NUMBER) == ["second"]
        client.delete_comment(REPO, created.id)

    assert updated.id == created.id
    assert updated.body == "second"
    assert created.html_url.endswith(f"#issuecomment-{created.id}")
    assert github.state.bodies(REPO, PR_NUMBER) == []


def test_delete_of_missing_comment_passes(github: RunningFakeGitHub) -> None:
    with client_for(github) as client:
        client.delete_comment(REPO, 424242)

    assert github.state.writes() == [
        ("DELETE", f"/repos/{REPO}/issues/comments/424242")
    ]


def test_bad_token_error(github: RunningFakeGitHub) -> None:
    wrong = "ghs_notAValidTok3n9"

    with client_for(github, wrong) as client, pytest.raises(GitHubError) as caught:
        client.list_issue_comments(REPO, PR_NUMBER)

    assert caught.value.status == 401
    assert "401 Bad credentials" in caught.value.message
    assert "GITHUB_TOKEN" in caught.value.message
    assert wrong not in str(caught.value)


def test_read_only_token_write_denied(github: RunningFakeGitHub) -> None:
    with client_for(github, READ_TOKEN) as client:
        assert client.list_issue_comments(REPO, PR_NUMBER) == []
        with pytest.raises(GitHubWriteDeniedError) as caught:
            client.create_comment(REPO, PR_NUMBER, "plan")

    assert caught.value.status == 403
    assert caught.value.github_message == "Resource not accessible by integration"
    assert "pull-requests: write" in caught.value.message


def test_body_too_long_names_github_reason(github: RunningFakeGitHub) -> None:
    with client_for(github) as client, pytest.raises(GitHubError) as caught:
        client.create_comment(REPO, PR_NUMBER, "x" * 70_000)

    assert caught.value.status == 422
    assert "Validation Failed: Body is too long" in caught.value.message


def test_get_retried_after_server_error(github: RunningFakeGitHub) -> None:
    github.state.fail_next(503, "Service Unavailable", times=2)

    with client_for(github) as client:
        assert client.list_issue_comments(REPO, PR_NUMBER) == []

    assert len(github.state.requests) == 3


def test_post_not_retried(github: RunningFakeGitHub) -> None:
    github.state.fail_next(503, "Service Unavailable")

    with client_for(github) as client, pytest.raises(GitHubError) as caught:
        client.create_comment(REPO, PR_NUMBER, "plan")

    assert caught.value.status == 503
    assert github.state.requests == [
        ("POST", f"/repos/{REPO}/issues/{PR_NUMBER}/comments")
    ]


def test_next_link_to_other_host_rejected(github: RunningFakeGitHub) -> None:
    for index in range(101):
        github.state.add_comment(REPO, PR_NUMBER, f"c{index}")
    github.state.link_base = "http://127.0.0.2:9"

    with client_for(github) as client, pytest.raises(GitHubError) as caught:
        client.list_issue_comments(REPO, PR_NUMBER)

    assert "another host (http://127.0.0.2:9)" in caught.value.message
    assert len(github.state.requests) == 1


def test_unreachable_server_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = GitHubClient(
        WRITE_TOKEN, api_url=f"http://127.0.0.1:{port}", retry_delays=(0.0,)
    )

    with client, pytest.raises(GitHubError) as caught:
        client.list_issue_comments(REPO, PR_NUMBER)

    assert caught.value.message.startswith(
        f"Could not reach GitHub at http://127.0.0.1:{port} for GET"
    )
    assert WRITE_TOKEN not in caught.value.message


def test_one_log_line_per_call(
    github: RunningFakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="actionplane")

    with client_for(github) as client:
        client.create_comment(REPO, PR_NUMBER, "plan")

    messages = [
        record.getMessage()
        for record in caplog.records
        if record.name == "actionplane.github"
    ]
    assert len(messages) == 1
    assert messages[0].startswith(
        f"POST /repos/{REPO}/issues/{PR_NUMBER}/comments -> 201 ("
    )
    assert all(WRITE_TOKEN not in record.getMessage() for record in caplog.records)


def test_token_hidden_in_repr(github: RunningFakeGitHub) -> None:
    with client_for(github) as client:
        assert WRITE_TOKEN not in repr(vars(client))
