"""Escaping helpers for markdown that GitHub renders in pull-request comments.

Every value that reaches a comment comes from config files or Zoho metadata, so
a field label can hold anything: pipes that would split a table cell, HTML tags,
``@user`` mentions that would notify people, ``#123`` references. The plan
renderer passes every such value through these helpers.

The helpers return ``Markdown``, a ``str`` subclass that marks text as already
escaped. ``escape_text`` and ``table`` pass ``Markdown`` through unchanged, the
way ``markupsafe.Markup`` works for HTML, so a code span can be a table cell.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

# U+200D ZERO WIDTH JOINER. GitHub links a mention only when a letter or digit
# follows the "@" (and a reference only when a digit follows the "#"), and it
# matches the rendered text, so entity-encoding the "@" would not help.
ZERO_WIDTH_JOINER = "\u200d"

# Bidirectional controls can make a value read differently from what it is
# (the "Trojan Source" trick), so they are shown as visible code points.
_BIDI_CONTROLS = (
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)

# Characters with a meaning in markdown or HTML, as numeric character
# references. CommonMark never reads a character reference as structure, so the
# result is literal text both in markdown and inside HTML blocks like <summary>.
_ENTITIES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "|": "&#124;",
    "`": "&#96;",
    "\\": "&#92;",
    "*": "&#42;",
    "_": "&#95;",
    "~": "&#126;",
    "[": "&#91;",
    "]": "&#93;",
    "$": "&#36;",
    # GitHub's autolinker reads the source before references are decoded, so
    # a link it found next to an escaped character would show the raw
    # reference. Encoding the ":" of "https:" and the "." of "www." prevents
    # autolinks in escaped text.
    ":": "&#58;",
}
_TEXT_TABLE = str.maketrans(
    {
        **_ENTITIES,
        "@": "@" + ZERO_WIDTH_JOINER,
        "#": "#" + ZERO_WIDTH_JOINER,
        "\n": "<br>",
        "\0": "\ufffd",
        **{char: f"&lt;U+{ord(char):04X}&gt;" for char in _BIDI_CONTROLS},
    }
)
_CODE_TABLE = str.maketrans(
    {
        "\n": " ",
        "\0": "\ufffd",
        **{char: f"<U+{ord(char):04X}>" for char in _BIDI_CONTROLS},
    }
)

_LINE_ENDING = re.compile(r"\r\n|\r")
_GH_REFERENCE = re.compile(r"(?i)\bgh-(?=\d)")
_WWW = re.compile(r"(?i)\bwww\.")
# A list marker, thematic break or setext underline at the start of a line.
_LEADING_BLOCK_MARKER = re.compile(r"^(\d{0,9})([-+=.)])")
# cmark-gfm trims these from paragraph and table-cell edges.
_EDGE_WHITESPACE = {char: f"&#{ord(char)};" for char in " \t\x0b\x0c"}


class Markdown(str):
    """Markdown text that is escaped already and is inserted as it is."""

    __slots__ = ()


def escape_text(value: object) -> Markdown:
    """Escape a value for prose or a table cell in GitHub-flavoured markdown.

    The value is converted with ``str()``; a ``Markdown`` value is returned
    unchanged. The result renders as the literal text of the value and is one
    line, so it is safe in a paragraph (even at the start of a line), in a
    table cell and inside HTML blocks such as ``<summary>``:

    - ``& < > | ` \\ * _ ~ [ ] $ :`` and the dot of ``www.`` become character
      references, so the result contains no raw pipe, HTML tag, code span,
      emphasis, link, autolink or math;
    - a zero-width joiner follows every ``@`` and ``#`` and the hyphen of
      ``GH-<digit>``, so GitHub creates no mention and no issue reference;
    - line endings become ``<br>``, after a zero-width joiner when the value
      starts with one;
    - leading and trailing whitespace, and a leading list marker or
      ``-``/``+``/``=``, become character references so they stay literal;
    - bidirectional control characters are shown as ``<U+202E>`` and so on.
    """
    if isinstance(value, Markdown):
        return value
    text = _LINE_ENDING.sub("\n", str(value)).translate(_TEXT_TABLE)
    text = _GH_REFERENCE.sub(lambda match: match.group() + ZERO_WIDTH_JOINER, text)
    text = _WWW.sub(lambda match: match.group()[:3] + "&#46;", text)
    text = _LEADING_BLOCK_MARKER.sub(
        lambda match: f"{match.group(1)}&#{ord(match.group(2))};", text, count=1
    )
    text = _escape_edge_whitespace(text)
    # A line that starts with a tag can open an HTML block, which would take
    # the markdown lines after it as raw HTML.
    return Markdown(ZERO_WIDTH_JOINER + text if text.startswith("<") else text)


def _escape_edge_whitespace(text: str) -> str:
    stripped = text.strip(" \t\x0b\x0c")
    if stripped == text:
        return text
    start = len(text) - len(text.lstrip(" \t\x0b\x0c"))
    end = len(stripped) + start
    lead = "".join(_EDGE_WHITESPACE[char] for char in text[:start])
    trail = "".join(_EDGE_WHITESPACE[char] for char in text[end:])
    return lead + stripped + trail


def code_span(value: object) -> Markdown:
    """Render a value as inline code that shows it verbatim.

    The fence is one backtick longer than the longest run of backticks in the
    value, and a space pads both sides where CommonMark would otherwise strip
    one or merge a backtick into the fence. Line endings become spaces (as a
    code span renders them anyway), bidirectional controls are shown as
    ``<U+202E>``, and an empty value gives an empty ``<code></code>``.

    The result is for markdown contexts only: paragraphs, list items and table
    cells through ``table``, which escapes the pipes a code span may contain.
    GitHub shows it literally inside HTML blocks such as ``<summary>``. Code is
    never scanned for mentions or references, so ``@`` needs no escape here.
    """
    text = _LINE_ENDING.sub("\n", str(value)).translate(_CODE_TABLE)
    if not text:
        return Markdown("<code></code>")
    longest_run = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest_run + 1)
    edge_space = text[0] == " " and text[-1] == " " and text.strip(" ") != ""
    if text[0] == "`" or text[-1] == "`" or edge_space:
        text = f" {text} "
    return Markdown(f"{fence}{text}{fence}")


def table(headers: Sequence[object], rows: Iterable[Sequence[object]]) -> Markdown:
    """Render a GitHub-flavoured markdown table, escaping every cell.

    Plain cells go through ``escape_text``. ``Markdown`` cells (a ``code_span``
    for example) are kept, with each pipe escaped as ``\\|``, which GitHub's
    table parser removes again, inside code spans too. Every row must have as
    many cells as there are headers, and a ``Markdown`` cell must be one line;
    otherwise ``ValueError`` is raised. Put a blank line before the table.
    """
    if not headers:
        raise ValueError("a table needs at least one header")
    lines = [_row(headers), "|" + " --- |" * len(headers)]
    for index, row in enumerate(rows):
        if len(row) != len(headers):
            raise ValueError(
                f"table row {index} has {len(row)} cells, expected {len(headers)}"
            )
        lines.append(_row(row))
    return Markdown("\n".join(lines))


def _row(cells: Sequence[object]) -> str:
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


def _cell(value: object) -> str:
    text = escape_text(value)
    if "\n" in text or "\r" in text:
        raise ValueError(f"a markdown table cell must be one line: {text!r}")
    return text.replace("|", "\\|")


def details(summary: object, body: str, *, open: bool = False) -> Markdown:
    """Fold a markdown body under a one-line summary in a ``<details>`` block.

    The summary goes through ``escape_text`` (GitHub does not render markdown
    inside ``<summary>``). The body is trusted markdown and is separated from
    the tags by blank lines so that GitHub renders it as markdown. ``open``
    shows the block unfolded. The body must not close the block itself.
    """
    opening = "<details open>" if open else "<details>"
    head = f"{opening}<summary>{escape_text(summary)}</summary>"
    content = body.strip("\n")
    if not content:
        return Markdown(f"{head}\n\n</details>")
    return Markdown(f"{head}\n\n{content}\n\n</details>")
