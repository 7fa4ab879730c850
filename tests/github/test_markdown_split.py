from __future__ import annotations

import re

import pytest
from github_testing import HtmlSummary, render_html
from hypothesis import given, settings
from hypothesis import strategies as st

from actionplane.github.markdown import code_span, details, escape_text, table
from actionplane.github.split import measure, split_markdown

FENCE_LINE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
TABLE_LINE = re.compile(r"^\| ")
DELIMITER = re.compile(r"^\|( --- \|)+$")


def fenced(lines: list[str], info: str = "diff") -> str:
    return "\n".join([f"```{info}", *lines, "```"])


def is_subsequence(needles: list[str], haystack: list[str]) -> bool:
    position = iter(haystack)
    return all(any(line == candidate for candidate in position) for line in needles)


def check_chunk(chunk: str, limit: int) -> None:
    """Assert a chunk fits and renders with its constructs closed."""
    lines = chunk.split("\n")
    summary = HtmlSummary(render_html(chunk))
    row_lines = [
        line for line in lines if TABLE_LINE.match(line) and not DELIMITER.match(line)
    ]

    assert measure(chunk) <= limit
    assert chunk.count("<details") == chunk.count("</details>")
    assert summary.tags.count("details") == chunk.count("<details")
    assert sum(1 for line in lines if FENCE_LINE.match(line)) % 2 == 0
    assert len(summary.rows) == len(row_lines)
    assert all(len(row) == 3 for row in summary.rows)


def test_text_that_fits_is_unchanged() -> None:
    text = "line one\n\n```\ncode\n```"

    assert split_markdown(text, 1000) == [text]


def test_fence_is_closed_and_reopened() -> None:
    text = fenced([f"+ line {index}" for index in range(200)])

    chunks = split_markdown(text, 500)

    assert len(chunks) > 1
    for chunk in chunks:
        assert chunk.startswith("```diff\n")
        assert chunk.endswith("\n```")
        check_chunk(chunk, 500)


def test_fence_label_repeated_when_continued() -> None:
    text = "rule `large-amount`\n\n" + fenced([f"+ line {i}" for i in range(200)])

    chunks = split_markdown(text, 500)

    assert len(chunks) > 1
    assert chunks[0].startswith("rule `large-amount`\n\n```diff\n")
    for chunk in chunks[1:]:
        assert chunk.startswith("(continued) rule `large-amount`\n\n```diff\n")
        check_chunk(chunk, 500)


def test_fence_label_inside_details() -> None:
    body = "rule `a`\n\n" + fenced([f"+ line {i}" for i in range(200)])
    text = details("Changes", body)

    chunks = split_markdown(text, 600)

    assert chunks[1].startswith(
        "<details><summary>Changes (continued)</summary>\n\n"
        "(continued) rule `a`\n\n```diff\n"
    )
    for chunk in chunks:
        check_chunk(chunk, 600)


@pytest.mark.parametrize(
    "before",
    [
        "rule `a`\n",  # no blank line between the label and the fence
        "| a | b |\n| --- | --- |\n| 1 | 2 |\n\n",  # a table row is no label
        "x" * 300 + "\n\n",  # too long to repeat
        "",
    ],
    ids=["no-blank-line", "table-row", "long-line", "no-label"],
)
def test_fence_without_label_reopens_bare(before: str) -> None:
    text = before + fenced([f"+ line {i}" for i in range(200)])

    chunks = split_markdown(text, 800)

    assert len(chunks) > 1
    for chunk in chunks[1:]:
        assert chunk.startswith("```diff\n")


def test_details_summary_marked_continued() -> None:
    body = "\n".join(f"- item {index}" for index in range(200))
    text = details("Rule changes", body)

    chunks = split_markdown(text, 600)

    assert chunks[0].startswith("<details><summary>Rule changes</summary>\n\n- item 0")
    assert chunks[1].startswith("<details><summary>Rule changes (continued)</summary>")
    for chunk in chunks:
        assert chunk.endswith("\n\n</details>")
        check_chunk(chunk, 600)


def test_table_header_is_repeated() -> None:
    rows = [[code_span(f"Field_{index}"), "a | b", "<x>"] for index in range(100)]
    text = details("Fields", table(["field", "label", "type"], rows))

    chunks = split_markdown(text, 900)

    assert len(chunks) > 2
    for chunk in chunks:
        assert "| field | label | type |\n| --- | --- | --- |" in chunk
        check_chunk(chunk, 900)


def test_first_limit_applies_to_first_chunk() -> None:
    text = "\n".join(f"line {index:03d}" for index in range(100))

    chunks = split_markdown(text, 400, first_limit=50)

    assert measure(chunks[0]) <= 50
    assert all(measure(chunk) <= 400 for chunk in chunks[1:])
    assert "\n".join(chunks).split("\n") == text.split("\n")


def test_first_chunk_empty_when_nothing_fits() -> None:
    text = "a" * 30 + "\n" + "b" * 30

    chunks = split_markdown(text, 100, first_limit=10)

    assert chunks[0] == ""
    assert chunks[1] == text


def test_long_line_cut_outside_references() -> None:
    line = " ".join(escape_text(f"<value {index}>") for index in range(400))

    chunks = split_markdown(line, 700)

    assert len(chunks) > 1
    for chunk in chunks:
        assert measure(chunk) <= 700
        assert not re.search(r"&[#a-z0-9]*$", chunk)
    assert "".join(chunks).replace(" ", "") == line.replace(" ", "")


def test_astral_characters_count_twice() -> None:
    text = "\n".join(["\U0001f600" * 10] * 20)

    chunks = split_markdown(text, 50)

    assert measure("\U0001f600") == 2
    assert all(measure(chunk) <= 50 for chunk in chunks)


def test_tiny_limit_rejected() -> None:
    text = fenced(["x" * 100] * 3)

    with pytest.raises(ValueError, match="too small"):
        split_markdown(text, 20)


SAFE_WORDS = st.text(alphabet="abcdefghij 0123456789", min_size=1, max_size=40)
CELL = st.one_of(SAFE_WORDS, st.sampled_from(["a|b", "<script>", "@bob", "`x`"]))


@st.composite
def blocks(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(
        st.sampled_from(["paragraph", "table", "fence", "details"][: 4 - depth])
    )
    if kind == "paragraph":
        return "\n".join(draw(st.lists(SAFE_WORDS, min_size=1, max_size=5)))
    if kind == "table":
        rows = draw(st.lists(st.lists(CELL, min_size=3, max_size=3), max_size=12))
        cells = [[code_span(row[0]), *row[1:]] for row in rows]
        return table(["a", "b", "c"], cells)
    if kind == "fence":
        info = draw(st.sampled_from(["", "diff", "yaml"]))
        fence = draw(st.sampled_from(["```", "~~~~"]))
        lines = draw(st.lists(SAFE_WORDS, max_size=15))
        return "\n".join([fence + info, *lines, fence])
    inner = draw(st.lists(blocks(depth=depth + 1), min_size=1, max_size=4))
    title = draw(SAFE_WORDS)
    return details(title, "\n\n".join(inner), open=draw(st.booleans()))


@settings(max_examples=150, deadline=None)
@given(st.lists(blocks(), min_size=1, max_size=8), st.integers(300, 2000))
def test_chunks_render_whole(document_blocks: list[str], limit: int) -> None:
    text = "\n\n".join(document_blocks)

    chunks = split_markdown(text, limit)

    for chunk in chunks:
        check_chunk(chunk, limit)
    joined_lines = "\n".join(chunks).split("\n")
    assert is_subsequence(text.split("\n"), joined_lines)
