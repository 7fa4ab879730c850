"""Sticky comments: only comments by the posting account are edited or deleted."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_github import RunningFakeGitHub
from github_testing import PR_NUMBER, REPO, WRITE_TOKEN, run_main

from actionplane.github.client import GitHubClient, GitHubError
from actionplane.github.comment import marker, read_marker
from actionplane.github.identity import resolve_author

# A personal token: GET /user returns its user.
USER_TOKEN = "ghp_personalTok3nValue41f"
USER_LOGIN = "revops-ci"
# A GitHub App installation token: GET /user returns 403, like WRITE_TOKEN.
APP_TOKEN = "ghs_appInstallTok3nValue9d"
APP_LOGIN = "plan-app[bot]"
ACTIONS_LOGIN = "github-actions[bot]"
USER_PATH = "/user"


@pytest.fixture
def github_env(github: RunningFakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    github.state.tokens[USER_TOKEN] = "write"
    github.state.tokens[APP_TOKEN] = "write"
    github.state.accounts[USER_TOKEN] = (USER_LOGIN, "User")
    github.state.accounts[APP_TOKEN] = (APP_LOGIN, "Bot")
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    monkeypatch.setenv("GITHUB_TOKEN", WRITE_TOKEN)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    monkeypatch.setenv("GITHUB_REF", f"refs/pull/{PR_NUMBER}/merge")


def plan_file(tmp_path: Path, summary: str) -> Path:
    path = tmp_path / "plan.md"
    path.write_text(f"# ActionPlane plan\n\n{summary}\n\n## Rule changes\n\nnone\n")
    return path


def post(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], summary: str, *extra: str
) -> tuple[int, str, str]:
    path = plan_file(tmp_path, summary)
    return run_main(["comment", "--markdown-file", str(path), *extra], capsys)


def marked_body(text: str, part: int = 1) -> str:
    return f"{marker('default', part)}\n{text}"


def comment_paths(github: RunningFakeGitHub, method: str) -> list[str]:
    return [path for verb, path in github.state.requests if verb == method]


@pytest.mark.usefixtures("github_env")
def test_marker_by_other_user_ignored(
    github: RunningFakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planted = marked_body("Planted by another user")
    other = github.state.add_comment(REPO, PR_NUMBER, planted, "mallory", "User")

    code, out, err = post(tmp_path, capsys, "First plan")

    assert code == 0, err
    assert "1 created, 0 updated, 0 unchanged, 0 deleted" in out
    assert github.state.comments[other].body == planted
    assert github.state.authors(REPO, PR_NUMBER) == ["mallory", ACTIONS_LOGIN]
    assert "First plan" in github.state.bodies(REPO, PR_NUMBER)[1]
    assert comment_paths(github, "PATCH") == []
    assert comment_paths(github, "DELETE") == []
    assert f"Warning: Ignored comment {other} by mallory" in err
    assert f"was not written by {ACTIONS_LOGIN}" in err


@pytest.mark.usefixtures("github_env")
def test_ignored_marker_annotated_in_actions(
    github: RunningFakeGitHub,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    other = github.state.add_comment(
        REPO, PR_NUMBER, marked_body("Planted"), "mallory", "User"
    )

    code, out, _ = post(tmp_path, capsys, "First plan")

    assert code == 0
    assert out.startswith(
        f"::warning title=Plan comment::Ignored comment {other} by mallory"
    )


@pytest.mark.usefixtures("github_env")
def test_user_token_updates_own_comment(
    github: RunningFakeGitHub,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", USER_TOKEN)
    planted = marked_body("Planted before the first plan")
    other = github.state.add_comment(REPO, PR_NUMBER, planted, "mallory", "User")
    assert post(tmp_path, capsys, "First plan")[0] == 0
    own = github.state.comments.keys() - {other}

    code, out, err = post(tmp_path, capsys, "Second plan")

    assert code == 0, err
    assert "0 created, 1 updated" in out
    assert github.state.comments.keys() - {other} == own
    (own_id,) = own
    assert github.state.comments[own_id].author == USER_LOGIN
    assert "Second plan" in github.state.comments[own_id].body
    assert github.state.comments[other].body == planted
    assert comment_paths(github, "PATCH") == [f"/repos/{REPO}/issues/comments/{own_id}"]
    assert comment_paths(github, "GET").count(USER_PATH) == 2
    assert f"Ignored comment {other} by mallory" in err


@pytest.mark.usefixtures("github_env")
def test_user_token_skips_actions_bot_comment(
    github: RunningFakeGitHub,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", USER_TOKEN)
    bot = github.state.add_comment(
        REPO, PR_NUMBER, marked_body("Old plan"), ACTIONS_LOGIN, "Bot"
    )

    code, out, err = post(tmp_path, capsys, "New plan")

    assert code == 0, err
    assert "1 created" in out
    assert github.state.comments[bot].body == marked_body("Old plan")
    assert f"Ignored comment {bot} by {ACTIONS_LOGIN}" in err
    assert f"not written by {USER_LOGIN}" in err


@pytest.mark.usefixtures("github_env")
def test_fallback_updates_actions_bot_comment(
    github: RunningFakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bot = github.state.add_comment(
        REPO, PR_NUMBER, marked_body("Old plan"), ACTIONS_LOGIN, "Bot"
    )
    other = github.state.add_comment(
        REPO, PR_NUMBER, marked_body("Planted", part=2), "mallory", "User"
    )

    code, out, err = post(tmp_path, capsys, "New plan")

    assert code == 0, err
    assert "0 created, 1 updated, 0 unchanged, 0 deleted" in out
    assert "New plan" in github.state.comments[bot].body
    assert github.state.comments[other].body == marked_body("Planted", part=2)
    assert comment_paths(github, "GET").count(USER_PATH) == 1
    assert comment_paths(github, "DELETE") == []
    assert f"Ignored comment {other} by mallory" in err
    assert "(part 2)" in err


@pytest.mark.usefixtures("github_env")
def test_fallback_skips_user_named_like_bot(
    github: RunningFakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The login matches, but the account type does not: not the Actions bot.
    impostor = github.state.add_comment(
        REPO, PR_NUMBER, marked_body("Old plan"), ACTIONS_LOGIN, "User"
    )

    code, out, _ = post(tmp_path, capsys, "New plan")

    assert code == 0
    assert "1 created, 0 updated" in out
    assert github.state.comments[impostor].body == marked_body("Old plan")


@pytest.mark.usefixtures("github_env")
def test_app_author_learned_from_created_comment(
    github: RunningFakeGitHub,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", APP_TOKEN)
    old_parts = [
        github.state.add_comment(
            REPO, PR_NUMBER, marked_body("Old plan", part), APP_LOGIN, "Bot"
        )
        for part in (1, 2)
    ]
    other = github.state.add_comment(
        REPO, PR_NUMBER, marked_body("Planted", 2), "mallory", "User"
    )

    code, out, err = post(tmp_path, capsys, "New plan")

    assert code == 0, err
    assert "1 created, 0 updated, 0 unchanged, 2 deleted" in out
    for old in old_parts:
        assert old not in github.state.comments
    assert github.state.authors(REPO, PR_NUMBER) == ["mallory", APP_LOGIN]
    assert f"This token posts as {APP_LOGIN}" in err
    assert f"--bot-login {APP_LOGIN}" in err
    assert f"Ignored comment {other} by mallory" in err
    assert f"not written by {APP_LOGIN}" in err


@pytest.mark.usefixtures("github_env")
@pytest.mark.parametrize("source", ["option", "env"])
def test_bot_login_edits_app_comment(
    github: RunningFakeGitHub,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    source: str,
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", APP_TOKEN)
    old = github.state.add_comment(
        REPO, PR_NUMBER, marked_body("Old plan"), APP_LOGIN, "Bot"
    )
    if source == "env":
        monkeypatch.setenv("ACTIONPLANE_BOT_LOGIN", APP_LOGIN)
        extra: tuple[str, ...] = ()
    else:
        extra = ("--bot-login", APP_LOGIN)

    code, out, err = post(tmp_path, capsys, "New plan", *extra)

    assert code == 0, err
    assert "0 created, 1 updated" in out
    assert "New plan" in github.state.comments[old].body
    assert USER_PATH not in comment_paths(github, "GET")
    assert "Warning" not in err


@pytest.mark.usefixtures("github_env")
def test_stale_parts_of_others_kept(
    github: RunningFakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    own = github.state.add_comment(
        REPO, PR_NUMBER, marked_body("Old plan, part 2", 2), ACTIONS_LOGIN, "Bot"
    )
    other = github.state.add_comment(
        REPO, PR_NUMBER, marked_body("Planted part 3", 3), "mallory", "User"
    )

    code, out, _ = post(tmp_path, capsys, "One part now")

    assert code == 0
    assert "1 created, 0 updated, 0 unchanged, 1 deleted" in out
    assert own not in github.state.comments
    assert other in github.state.comments
    parts = [read_marker(b).part for b in github.state.bodies(REPO, PR_NUMBER)]
    assert parts == [3, 1]


@pytest.mark.usefixtures("github_env")
@pytest.mark.parametrize("login", ["", "@mallory", "two words", "bot]"])
def test_invalid_bot_login_rejected(
    github: RunningFakeGitHub,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    login: str,
) -> None:
    code, _, err = post(tmp_path, capsys, "Plan", "--bot-login", login)

    assert code == 2
    assert "is not a GitHub login" in err
    assert github.state.requests == []


def test_resolve_author_raises_other_errors(github: RunningFakeGitHub) -> None:
    github.state.fail_next(500, "Server Error")

    client = GitHubClient(WRITE_TOKEN, api_url=github.url, retry_delays=())
    with client, pytest.raises(GitHubError) as raised:
        resolve_author(client, None)

    assert raised.value.status == 500


def test_resolve_author_from_user_endpoint(github: RunningFakeGitHub) -> None:
    github.state.tokens[USER_TOKEN] = "write"
    github.state.accounts[USER_TOKEN] = (USER_LOGIN, "User")

    with GitHubClient(USER_TOKEN, api_url=github.url) as client:
        author = resolve_author(client, None)

    assert author.login == USER_LOGIN
    assert author.type == "User"
    assert author.assumed is False
