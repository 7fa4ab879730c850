from __future__ import annotations

import json
import logging
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from fake_github import RunningFakeGitHub
from github_testing import (
    MENTION,
    PR_NUMBER,
    READ_TOKEN,
    REPO,
    WRITE_TOKEN,
    HtmlSummary,
    render_html,
    run_main,
)

from actionplane.github.comment import read_marker
from actionplane.github.content import CommentContent, Section
from actionplane.github.markdown import code_span, table
from actionplane.github.split import measure

SUMMARY = "**Plan:** 2 connectors changed, 1 rule widened."
HOSTILE_LABEL = "Stage | Owner `x` <script>alert(1)</script>"


@pytest.fixture
def github_env(github: RunningFakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    monkeypatch.setenv("GITHUB_TOKEN", WRITE_TOKEN)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    monkeypatch.setenv("GITHUB_REF", f"refs/pull/{PR_NUMBER}/merge")


def plan_markdown(tmp_path: Path, rows: int, name: str = "plan.md") -> Path:
    """Write a pre-rendered plan with a field table of ``rows`` rows."""
    fields = [
        [code_span(f"Field_{index}"), f"Label {index}", "text"] for index in range(rows)
    ]
    text = "\n".join(
        [
            "# ActionPlane plan for acme-revops",
            "",
            SUMMARY,
            "",
            "## Allowlist changes",
            "",
            table(["field", "label", "type"], fields),
            "",
            "## Rule changes",
            "",
            "```diff",
            "+ route: require_approval",
            "```",
        ]
    )
    path = tmp_path / name
    path.write_text(text)
    return path


def comment_from_markdown(
    path: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str, str]:
    return run_main(["comment", "--markdown-file", str(path), *extra], capsys)


def comment_content_for_test(plan: dict[str, Any]) -> CommentContent:
    """Build comment content from a small plan dict with the escaping helpers."""
    rows = [
        [code_span(field["api_name"]), field["label"], field["type"]]
        for field in plan["fields"]
    ]
    return CommentContent(
        workspace=plan["workspace"],
        title=f"ActionPlane plan for {plan['workspace']}",
        summary=f"**{len(rows)} allowlist changes**",
        sections=[
            Section("Allowlist changes", table(["field", "label", "type"], rows), True)
        ],
        footer="After merge: `actionplane apply --auto-approve`",
    )


@pytest.fixture
def plan_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Provide actionplane.plan.markdown with the test's comment_content."""
    module = types.ModuleType("actionplane.plan.markdown")
    module.comment_content = comment_content_for_test  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "actionplane.plan.markdown", module)


def write_plan(tmp_path: Path, labels: list[str]) -> Path:
    plan = {
        "workspace": "acme-revops",
        "fields": [
            {"api_name": f"Field_{index}", "label": label, "type": "picklist"}
            for index, label in enumerate(labels)
        ],
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    return path


def plan_bodies(github: RunningFakeGitHub) -> list[str]:
    return [
        body
        for body in github.state.bodies(REPO, PR_NUMBER)
        if read_marker(body) is not None
    ]


@pytest.mark.usefixtures("github_env")
def test_second_post_edits_comment(
    github: RunningFakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = comment_from_markdown(plan_markdown(tmp_path, 3), capsys)
    second = comment_from_markdown(plan_markdown(tmp_path, 4), capsys)

    assert first[0] == 0
    assert "1 created, 0 updated" in first[1]
    assert second[0] == 0
    assert "0 created, 1 updated" in second[1]
    assert len(github.state.bodies(REPO, PR_NUMBER)) == 1
    assert "Field_3" in github.state.bodies(REPO, PR_NUMBER)[0]
    assert [method for method, _ in github.state.writes()] == ["POST", "PATCH"]


@pytest.mark.usefixtures("github_env")
def test_unchanged_plan_not_sent_again(
    github: RunningFakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = plan_markdown(tmp_path, 3)

    comment_from_markdown(path, capsys)
    code, out, _ = comment_from_markdown(path, capsys)

    assert code == 0
    assert "1 unchanged" in out
    assert [method for method, _ in github.state.writes()] == ["POST"]


@pytest.mark.usefixtures("github_env")
def test_large_plan_parts_and_shrink(
    github: RunningFakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    human = github.state.add_comment(REPO, PR_NUMBER, "Looks good to me")
    big = plan_markdown(tmp_path, 6000, "big.md")

    code, _, err = comment_from_markdown(big, capsys)
    bodies = plan_bodies(github)

    assert code == 0, err
    assert measure(big.read_text()) > 65_536
    assert len(bodies) >= 3
    assert bodies[0].split("\n\n")[1] == SUMMARY
    assert all(measure(body) <= 65_536 for body in bodies)
    assert [read_marker(body).part for body in bodies] == list(
        range(1, len(bodies) + 1)
    )
    assert "Field_5999" in bodies[-1]
    assert "<summary>Rule changes</summary>" in bodies[-1]

    code, out, _ = comment_from_markdown(plan_markdown(tmp_path, 2), capsys)
    remaining = github.state.bodies(REPO, PR_NUMBER)

    assert code == 0
    assert f"{len(bodies) - 1} deleted" in out
    assert len(remaining) == 2
    assert remaining[0] == "Looks good to me"
    assert read_marker(remaining[1]).part == 1
    assert "Field_1" in remaining[1]
    assert human in github.state.comments


@pytest.mark.usefixtures("github_env")
def test_workspaces_keep_separate_comments(
    github: RunningFakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = plan_markdown(tmp_path, 2)

    comment_from_markdown(path, capsys, "--workspace-name", "sales")
    comment_from_markdown(path, capsys, "--workspace-name", "support")
    comment_from_markdown(path, capsys, "--workspace-name", "sales")

    tokens = [read_marker(body).workspace_token for body in plan_bodies(github)]
    assert tokens == ["sales", "support"]


@pytest.mark.usefixtures("github_env", "plan_renderer")
def test_hostile_label_rendered_escaped(
    github: RunningFakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = write_plan(tmp_path, [HOSTILE_LABEL, "@someone please look", "Amount"])

    code, _, err = run_main(["comment", "--plan", str(plan)], capsys)
    body = plan_bodies(github)[0]
    rendered = HtmlSummary(render_html(body))

    assert code == 0, err
    assert "<script>" not in body
    assert "script" not in rendered.tags
    assert len(rendered.rows) == 4
    assert all(len(row) == 3 for row in rendered.rows)
    assert rendered.rows[1][1] == HOSTILE_LABEL
    assert rendered.rows[2][1].replace("\u200d", "") == "@someone please look"
    assert not MENTION.search(rendered.plain_text())


@pytest.mark.usefixtures("github_env")
def test_section_heading_escaped(
    github: RunningFakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "plan.md"
    path.write_text("Summary\n\n## Fields <script>x</script> @team\n\nbody\n")

    comment_from_markdown(path, capsys)
    rendered = HtmlSummary(render_html(plan_bodies(github)[0]))

    assert "script" not in rendered.tags
    assert not MENTION.search(rendered.plain_text())


@pytest.mark.usefixtures("github_env")
def test_read_only_token_writes_summary(
    github: RunningFakeGitHub,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    summary_file = tmp_path / "step_summary.md"
    monkeypatch.setenv("GITHUB_TOKEN", READ_TOKEN)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary_file))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")

    code, out, err = comment_from_markdown(plan_markdown(tmp_path, 3), capsys)

    assert code == 0
    assert "Warning: The token cannot write comments" in err
    assert "403 Resource not accessible by integration" in err
    assert "forks" in err
    assert "written to the job summary" in err
    assert out.startswith("::warning title=Plan comment not posted::")
    assert SUMMARY in summary_file.read_text()
    assert "Field_2" in summary_file.read_text()
    assert github.state.bodies(REPO, PR_NUMBER) == []


@pytest.mark.usefixtures("github_env")
def test_read_only_token_without_summary_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", READ_TOKEN)

    code, _, err = comment_from_markdown(plan_markdown(tmp_path, 3), capsys)

    assert code == 1
    assert "Resource not accessible by integration" in err
    assert "GITHUB_STEP_SUMMARY is not set" in err


@pytest.mark.usefixtures("github_env")
def test_other_failure_shows_status(
    github: RunningFakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    github.state.fail_next(422, "Validation Failed")

    code, _, err = comment_from_markdown(plan_markdown(tmp_path, 3), capsys)

    assert code == 1
    assert "failed: 422 Validation Failed" in err


@pytest.mark.usefixtures("github_env")
def test_token_in_no_output(
    github: RunningFakeGitHub,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG, logger="actionplane")
    path = plan_markdown(tmp_path, 3)
    outputs = [run_main(["-vv", "comment", "--markdown-file", str(path)], capsys)]
    wrong = "ghs_wrongTok3nButSecret88"
    monkeypatch.setenv("GITHUB_TOKEN", wrong)
    outputs.append(run_main(["-vv", "comment", "--markdown-file", str(path)], capsys))

    assert [code for code, _, _ in outputs] == [0, 1]
    assert "401 Bad credentials" in outputs[1][2]
    assert any("GET /repos/" in record.getMessage() for record in caplog.records)
    for _, out, err in outputs:
        assert WRITE_TOKEN not in out + err
        assert wrong not in out + err
    for record in caplog.records:
        assert WRITE_TOKEN not in record.getMessage()
        assert wrong not in record.getMessage()


def test_pull_request_from_event_payload(
    github: RunningFakeGitHub,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 23}}))
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    monkeypatch.setenv("GITHUB_TOKEN", WRITE_TOKEN)
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))

    code, out, err = comment_from_markdown(
        plan_markdown(tmp_path, 1), capsys, "--repo", REPO
    )

    assert code == 0, err
    assert f"{REPO}#23" in out
    assert len(github.state.bodies(REPO, 23)) == 1


def test_dry_run_prints_bodies(
    github: RunningFakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = comment_from_markdown(
        plan_markdown(tmp_path, 6000), capsys, "--dry-run"
    )

    assert code == 0
    assert out.startswith("<!-- actionplane:plan workspace=default -->\n")
    assert "<!-- actionplane:plan workspace=default part=2 -->" in out
    assert github.state.requests == []


def test_missing_token_is_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = comment_from_markdown(
        plan_markdown(tmp_path, 1), capsys, "--repo", REPO, "--pr", "3"
    )

    assert code == 2
    assert "GITHUB_TOKEN is not set" in err


def test_plan_and_markdown_both_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = plan_markdown(tmp_path, 1)

    code, _, err = run_main(
        ["comment", "--plan", str(path), "--markdown-file", str(path), "--dry-run"],
        capsys,
    )

    assert code == 2
    assert "exactly one of --plan FILE and --markdown-file FILE" in err


def test_plan_without_renderer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "actionplane.plan.markdown", None)

    code, _, err = run_main(
        ["comment", "--plan", str(write_plan(tmp_path, ["x"])), "--dry-run"], capsys
    )

    assert code == 2
    assert "--plan needs the markdown plan renderer" in err


@pytest.mark.usefixtures("plan_renderer")
def test_plan_file_not_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plan.json"
    path.write_text("{broken")

    code, _, err = run_main(["comment", "--plan", str(path), "--dry-run"], capsys)

    assert code == 1
    assert f"The plan file {path} is not valid JSON" in err


@pytest.mark.usefixtures("plan_renderer")
def test_workspace_name_overrides_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = write_plan(tmp_path, ["Stage"])

    code, out, _ = run_main(
        ["comment", "--plan", str(plan), "--workspace-name", "emea", "--dry-run"],
        capsys,
    )

    assert code == 0
    assert out.startswith("<!-- actionplane:plan workspace=emea -->")
