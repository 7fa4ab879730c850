from __future__ import annotations

import pytest
from github_testing import HtmlSummary, render_html
from hypothesis import given, settings
from hypothesis import strategies as st

from actionplane.github.comment import (
    GITHUB_COMMENT_LIMIT,
    CommentTooLargeError,
    MarkerInfo,
    marker,
    read_marker,
    render_comments,
    render_single,
)
from actionplane.github.content import CommentContent, Section
from actionplane.github.markdown import code_span, table
from actionplane.github.split import measure

SUMMARY = "**4 changes** in 1 connector: 2 allowlist fields added, 2 rules changed."
FOOTER = "After merge, run `actionplane apply --auto-approve`."


def field_table(count: int, label: str = "Deal stage") -> str:
    rows = [[code_span(f"Field_{index}"), label, "picklist"] for index in range(count)]
    return table(["field", "label", "type"], rows)


def content(*sections: Section, summary: str = SUMMARY) -> CommentContent:
    return CommentContent(
        workspace="acme-revops",
        title="ActionPlane plan for acme-revops",
        summary=summary,
        sections=list(sections),
        footer=FOOTER,
    )


def test_small_plan_is_one_body_in_order() -> None:
    plan = content(Section("Allowlist", field_table(2)), Section("Rules", "none"))

    bodies = render_comments(plan)

    assert bodies == [render_single(plan)]
    body = bodies[0]
    assert body.startswith(
        "<!-- actionplane:plan workspace=acme-revops -->\n"
        "## ActionPlane plan for acme-revops\n\n" + SUMMARY
    )
    assert body.index(SUMMARY) < body.index("<details>")
    assert body.index("<summary>Rules</summary>") < body.index(FOOTER)
    assert body.endswith(FOOTER)


def test_open_section_renders_open() -> None:
    body = render_single(content(Section("Impact", "x", open=True)))

    assert "<details open><summary>Impact</summary>" in body


def test_marker_is_hidden_in_rendered_body() -> None:
    html = render_html(render_single(content()))

    assert "actionplane:plan" not in HtmlSummary(html).plain_text()


@pytest.mark.parametrize(
    ("workspace", "part", "token", "line"),
    [
        (
            "acme-revops",
            1,
            "acme-revops",
            "<!-- actionplane:plan workspace=acme-revops -->",
        ),
        (
            "acme-revops",
            3,
            "acme-revops",
            "<!-- actionplane:plan workspace=acme-revops part=3 -->",
        ),
        (
            "a b-->c",
            1,
            "a%20b--%3Ec",
            "<!-- actionplane:plan workspace=a%20b--%3Ec -->",
        ),
        (
            "sales/emea",
            2,
            "sales%2Femea",
            "<!-- actionplane:plan workspace=sales%2Femea part=2 -->",
        ),
    ],
    ids=["first-part", "later-part", "comment-end-escaped", "slash-escaped"],
)
def test_marker_lines(workspace: str, part: int, token: str, line: str) -> None:
    assert marker(workspace, part) == line
    assert read_marker(line + "\nbody") == MarkerInfo(token, part)


@pytest.mark.parametrize(
    "body",
    [
        "plain comment",
        "> <!-- actionplane:plan workspace=acme-revops -->",
        "text\n<!-- actionplane:plan workspace=acme-revops -->",
        "<!-- actionplane:plan workspace=acme-revops part=0 -->",
        "<!-- actionplane:plan workspace= -->",
    ],
    ids=["no-marker", "quoted", "not-first-line", "part-zero", "empty-name"],
)
def test_read_marker_ignores(body: str) -> None:
    assert read_marker(body) is None


def test_large_plan_split_in_parts() -> None:
    plan = content(
        Section("Allowlist changes", field_table(2500)),
        Section("Rule changes", "```diff\n" + "+ rule\n" * 9000 + "```"),
        Section("Policy impact", "small"),
    )

    bodies = render_comments(plan)

    assert len(bodies) > 2
    assert measure(render_single(plan)) > GITHUB_COMMENT_LIMIT
    assert bodies[0].split("\n\n")[1] == SUMMARY
    for part, body in enumerate(bodies, start=1):
        assert read_marker(body) == MarkerInfo("acme-revops", part)
        assert measure(body) <= 60_000
        assert f"(part {part} of {len(bodies)})" in body.split("\n")[1]
        assert body.count("<details") == body.count("</details>")
    assert bodies[-1].endswith(FOOTER)
    assert all(FOOTER not in body for body in bodies[:-1])
    assert "<summary>Policy impact</summary>" in bodies[-1]


def test_large_section_starts_in_part_one() -> None:
    plan = content(Section("Allowlist changes", field_table(2500)))

    bodies = render_comments(plan)

    assert "<summary>Allowlist changes</summary>" in bodies[0]
    assert "<summary>Allowlist changes (continued)</summary>" in bodies[1]
    assert measure(bodies[0]) > 50_000


def test_small_section_moves_whole_to_next_part() -> None:
    plan = content(
        Section("Allowlist changes", field_table(2000)), Section("Rules", "one rule")
    )

    bodies = render_comments(plan, max_chars=20_000)

    assert all("Rules (continued)" not in body for body in bodies)
    assert sum("<summary>Rules</summary>" in body for body in bodies) == 1


def test_too_many_parts_points_to_artifact() -> None:
    plan = content(Section("Allowlist changes", field_table(5000)))
    url = "https://github.com/acme/revops-config/actions/runs/1/artifacts/2"

    bodies = render_comments(plan, max_parts=2, artifact=url)

    assert len(bodies) == 2
    assert all(measure(body) <= 60_000 for body in bodies)
    assert f"]({url})" in bodies[-1]
    assert "did not fit in 2 comments" in bodies[-1]
    assert bodies[-1].endswith(FOOTER)


def test_too_many_parts_without_artifact() -> None:
    plan = content(Section("Allowlist changes", field_table(5000)))

    bodies = render_comments(plan, max_parts=1)

    assert len(bodies) == 1
    assert "Run `actionplane plan` to see the full plan." in bodies[0]


def test_artifact_path_is_code() -> None:
    plan = content(Section("Allowlist changes", field_table(5000)))

    bodies = render_comments(plan, max_parts=1, artifact="plans/plan.json")

    assert "The full plan is at `plans/plan.json`." in bodies[0]


def test_oversized_summary_is_rejected() -> None:
    plan = content(summary="x" * 70_000)

    with pytest.raises(CommentTooLargeError, match="summary of 70000 characters"):
        render_comments(plan)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_chars": 70_000}, "max_chars"),
        ({"max_chars": 0}, "max_chars"),
        ({"max_parts": 0}, "max_parts"),
    ],
    ids=["over-github-limit", "zero-chars", "zero-parts"],
)
def test_invalid_limits_rejected(options: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        render_comments(content(), **options)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 400), st.booleans()), min_size=1, max_size=6),
    st.integers(4_000, 30_000),
    st.integers(1, 6),
)
def test_parts_always_fit(
    sections: list[tuple[int, bool]], max_chars: int, max_parts: int
) -> None:
    plan = content(
        *(
            Section(f"Section {index}", field_table(rows), open=is_open)
            for index, (rows, is_open) in enumerate(sections)
        )
    )

    bodies = render_comments(plan, max_chars=max_chars, max_parts=max_parts)

    assert 1 <= len(bodies) <= max_parts
    assert SUMMARY in bodies[0]
    for part, body in enumerate(bodies, start=1):
        assert measure(body) <= max_chars
        assert read_marker(body) == MarkerInfo("acme-revops", part)
        rendered = HtmlSummary(render_html(body))
        assert all(len(row) == 3 for row in rendered.rows)
        assert rendered.tags.count("details") == body.count("<details")
