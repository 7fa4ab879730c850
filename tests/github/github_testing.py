"""Shared values and helpers for the GitHub comment tests."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options

from actionplane.cli import main

WRITE_TOKEN = "ghs_writeTok3nValue7a1c9e"
READ_TOKEN = "ghs_readOnlyTok3nValue52bd0"
REPO = "acme/revops-config"
PR_NUMBER = 17

# GitHub's own markdown extensions, without the tag filter and with raw HTML
# kept, so any HTML that escaping let through shows up in the output.
_EXTENSIONS = ["table", "autolink", "strikethrough", "tasklist"]

# What GitHub links as a mention or an issue reference in rendered text.
MENTION = re.compile(r"(?<![A-Za-z0-9`])@[A-Za-z0-9]")
REFERENCE = re.compile(r"(?<![A-Za-z0-9&])#[0-9]|(?i:\bgh-[0-9])")


def render_html(markdown: str) -> str:
    """Render markdown the way GitHub's cmark-gfm does, raw HTML included."""
    return cmarkgfm.cmark.markdown_to_html_with_extensions(
        markdown, options=Options.CMARK_OPT_UNSAFE, extensions=_EXTENSIONS
    )


class HtmlSummary(HTMLParser):
    """Tags, table rows and text of rendered HTML, outside comments."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.rows: list[list[str]] = []
        self.text: list[str] = []
        self._cell: list[str] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag in {"td", "th"}:
            self._cell = []
        elif tag == "br":
            self._add("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"} and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        self._add(data)

    def _add(self, text: str) -> None:
        self.text.append(text)
        if self._cell is not None:
            self._cell.append(text)

    def plain_text(self) -> str:
        return "".join(self.text)


def run_main(args: list[str], capsys) -> tuple[int, str, str]:
    """Run the real entry point; return the exit code, stdout and stderr."""
    try:
        main(args)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    else:
        code = 0
    captured = capsys.readouterr()
    return code, captured.out, captured.err
