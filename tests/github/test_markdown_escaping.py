from __future__ import annotations

import re

import pytest
from github_testing import MENTION, REFERENCE, HtmlSummary, render_html
from hypothesis import example, given, settings
from hypothesis import strategies as st

from actionplane.github.markdown import (
    ZERO_WIDTH_JOINER,
    Markdown,
    code_span,
    details,
    escape_text,
    table,
)

# Characters with a meaning in markdown, HTML or GitHub's autolinking, mixed
# with arbitrary text so that hypothesis hits the interesting combinations.
SPECIALS = [
    *"|`<>&@#*_~[]\\$-+=.)!:;/ \t\n\r1234567890abcGH",
    "\u202e",
    "\u200d",
    "\x00",
    "\x0b",
    "\x0c",
    "&#124;",
    "<script>",
    "</td>",
    "```",
    "@someone",
    "#12",
    "gh-7",
    "www.example.com",
]
values = st.one_of(
    st.text(),
    st.lists(st.sampled_from(SPECIALS), max_size=12).map("".join),
    st.lists(st.one_of(st.sampled_from(SPECIALS), st.text(max_size=3))).map("".join),
)
ALLOWED_INLINE_TAGS = {"p", "br"}


def expected_text(value: str) -> str:
    """Return the text GitHub should show for a value passed to escape_text.

    Zero-width joiners are dropped on both sides of the comparison, because
    escaping adds them.
    """
    return shown_characters(value).replace(ZERO_WIDTH_JOINER, "")


def expected_code(value: str) -> str:
    """Return the text GitHub should show for a value passed to code_span."""
    return shown_characters(value).replace("\n", " ")


def shown_characters(value: str) -> str:
    text = re.sub(r"\r\n|\r", "\n", value).replace("\x00", "\ufffd")
    return re.sub(
        "[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]",
        lambda match: f"<U+{ord(match.group()):04X}>",
        text,
    )


def paragraph_text(html: str, *, drop_joiners: bool = True) -> str:
    """Return the text of a document that is one paragraph."""
    inner = html.strip()
    assert inner.startswith("<p>")
    assert inner.endswith("</p>")
    text = HtmlSummary(inner[3:-4]).plain_text()
    return text.replace(ZERO_WIDTH_JOINER, "") if drop_joiners else text


@settings(max_examples=400, deadline=None)
@given(values)
@example("<script>alert(1)</script>")
@example("@someone and @org/team, see #12 and GH-3")
@example("    indented code?")
@example("- list item")
@example("1. ordered")
@example("# heading")
@example("---")
@example("a  \nb")
@example("\x0c")
def test_escape_text_renders_literally(value: str) -> None:
    escaped = escape_text(value)
    html = render_html(f"before {escaped} after")
    summary = HtmlSummary(html)

    assert "\n" not in escaped
    assert set(summary.tags) <= ALLOWED_INLINE_TAGS
    assert not MENTION.search(summary.plain_text())
    assert not REFERENCE.search(summary.plain_text())
    assert paragraph_text(html) == f"before {expected_text(value)} after"


@settings(max_examples=200, deadline=None)
@given(values)
@example("   ")
@example("\t- item")
@example("=")
@example("\n")
@example("\nx")
def test_escape_text_at_line_start(value: str) -> None:
    escaped = escape_text(value)
    html = render_html(f"{escaped}\n")
    summary = HtmlSummary(html)

    assert set(summary.tags) <= ALLOWED_INLINE_TAGS
    if expected_text(value):
        assert paragraph_text(html) == expected_text(value)


@settings(max_examples=300, deadline=None)
@given(values)
@example("a`b")
@example("`")
@example("`` x ``")
@example(" a ")
@example("  ")
@example("")
@example("a|b")
def test_code_span_shows_value_verbatim(value: str) -> None:
    html = render_html(f"x {code_span(value)} y")
    summary = HtmlSummary(html)

    assert summary.tags == ["p", "code"]
    assert paragraph_text(html, drop_joiners=False) == f"x {expected_code(value)} y"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(values, min_size=1, max_size=4),
    st.lists(st.lists(values, min_size=4, max_size=4), max_size=3),
    st.booleans(),
)
@example(["field | label"], [["`a|b` <script>x</script> @bob"]], True)
def test_table_keeps_its_columns(
    headers: list[str], rows: list[list[str]], as_code: bool
) -> None:
    rows = [row[: len(headers)] for row in rows]
    cells = [[code_span(cell) if as_code else cell for cell in row] for row in rows]
    summary = HtmlSummary(render_html(f"{table(headers, cells)}\n"))

    assert set(summary.tags) <= {"table", "thead", "tbody", "tr", "th", "td"} | {
        "br",
        "a",
        "code",
    }
    assert len(summary.rows) == len(rows) + 1
    assert all(len(row) == len(headers) for row in summary.rows)
    header_text = [cell.replace(ZERO_WIDTH_JOINER, "") for cell in summary.rows[0]]
    assert header_text == [expected_text(header) for header in headers]
    for rendered, row in zip(summary.rows[1:], rows, strict=True):
        if as_code:
            assert rendered == [expected_code(cell) for cell in row]
        else:
            assert [cell.replace(ZERO_WIDTH_JOINER, "") for cell in rendered] == [
                expected_text(cell) for cell in row
            ]
            assert not any(MENTION.search(cell) for cell in rendered)


@settings(max_examples=200, deadline=None)
@given(values)
@example("<script>alert(1)</script>")
@example("x\n\ny")
@example("</summary></details>")
def test_details_summary_stays_in_summary(summary_value: str) -> None:
    body = table(["field"], [["value"]])
    html = render_html(details(summary_value, body) + "\n\nafter")
    summary = HtmlSummary(html)

    assert summary.tags.count("details") == 1
    assert summary.tags.count("summary") == 1
    assert summary.tags.count("table") == 1
    assert set(summary.tags) <= {"details", "summary", "br", "a", "p"} | {
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
    assert not MENTION.search(summary.plain_text())
    after = html.rsplit("</details>", 1)[1]
    assert after.strip() == "<p>after</p>"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a|b", "a&#124;b"),
        ("<b>", "&lt;b&gt;"),
        ("@bob", "@\u200dbob"),
        ("#12", "#\u200d12"),
        ("GH-12", "GH-\u200d12"),
        ("*x*", "&#42;x&#42;"),
        ("a\nb", "a<br>b"),
        (" x ", "&#32;x&#32;"),
        ("- x", "&#45; x"),
        ("1. x", "1&#46; x"),
        ("\u202eabc", "&lt;U+202E&gt;abc"),
        (42, "42"),
    ],
    ids=[
        "pipe",
        "html-tag",
        "mention",
        "issue-ref",
        "gh-ref",
        "emphasis",
        "newline",
        "edge-spaces",
        "bullet",
        "ordered-list",
        "bidi-override",
        "number",
    ],
)
def test_escape_text_examples(value: object, expected: str) -> None:
    assert escape_text(value) == expected


def test_escape_text_passes_markdown_through() -> None:
    code = code_span("a|b")

    assert escape_text(code) is code
    assert isinstance(escape_text("x"), Markdown)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("name", "`name`"),
        ("a`b", "``a`b``"),
        ("`x", "`` `x ``"),
        (" a ", "`  a  `"),
        ("", "<code></code>"),
        ("a\nb", "`a b`"),
    ],
    ids=[
        "plain",
        "backtick-inside",
        "backtick-edge",
        "edge-spaces",
        "empty",
        "newline",
    ],
)
def test_code_span_examples(value: str, expected: str) -> None:
    assert code_span(value) == expected


def test_table_escapes_pipe_in_code_cell() -> None:
    rendered = table(["field"], [[code_span("a|b")]])

    assert rendered.splitlines()[2] == "| `a\\|b` |"


def test_table_rejects_ragged_row() -> None:
    with pytest.raises(ValueError, match="row 0 has 1 cells, expected 2"):
        table(["a", "b"], [["only one"]])


def test_table_rejects_multiline_markdown_cell() -> None:
    with pytest.raises(ValueError, match="one line"):
        table(["a"], [[Markdown("x\ny")]])


def test_details_open_attribute() -> None:
    assert details("Title", "body", open=True).startswith(
        "<details open><summary>Title</summary>\n\nbody"
    )
