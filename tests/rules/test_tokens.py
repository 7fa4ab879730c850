"""The CEL tokenizer: literal decoding, positions and robustness."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actionplane.rules.tokens import TokenKind, tokenize

LITERALS = [
    ("double-quoted", '"a b"', TokenKind.STRING, "a b"),
    ("single-quoted", "'a'", TokenKind.STRING, "a"),
    ("escaped-quote", r'"say \"hi\""', TokenKind.STRING, 'say "hi"'),
    (
        "simple-escapes",
        r'"\a\b\f\n\r\t\v\\\?\'\`"',
        TokenKind.STRING,
        "\a\b\f\n\r\t\v\\?'`",
    ),
    ("hex-escape", r'"\x41\X42"', TokenKind.STRING, "AB"),
    ("octal-escape", r'"\101"', TokenKind.STRING, "A"),
    ("unicode-escapes", r'"\u00e9\U0001F600"', TokenKind.STRING, "é😀"),
    ("raw", r'r"\d+\n"', TokenKind.STRING, r"\d+\n"),
    ("raw-upper", r"R'\w'", TokenKind.STRING, r"\w"),
    ("raw-backslash-then-quote", r'r"\"', TokenKind.STRING, "\\"),
    ("triple-double", '"""a\n"b"\n"""', TokenKind.STRING, 'a\n"b"\n'),
    ("triple-single", "'''it's'''", TokenKind.STRING, "it's"),
    ("raw-triple", 'r"""\\n\n"""', TokenKind.STRING, "\\n\n"),
    ("bytes", r'b"\xff\101a"', TokenKind.BYTES, b"\xffAa"),
    ("raw-bytes", r'br"\x"', TokenKind.BYTES, b"\\x"),
    ("int", "42", TokenKind.INT, 42),
    ("hex-int", "0x1F", TokenKind.INT, 31),
    ("uint", "7u", TokenKind.UINT, 7),
    ("hex-uint", "0XffU", TokenKind.UINT, 255),
    ("double", "1.5", TokenKind.DOUBLE, 1.5),
    ("double-exponent", "2e3", TokenKind.DOUBLE, 2000.0),
    ("double-leading-dot", ".5", TokenKind.DOUBLE, 0.5),
    ("double-signed-exponent", "1.5E-2", TokenKind.DOUBLE, 0.015),
    ("identifier", "request_2", TokenKind.IDENT, "request_2"),
    ("backquoted", "`content-type`", TokenKind.IDENT, "content-type"),
]


@pytest.mark.parametrize(
    ("source", "kind", "value"), [c[1:] for c in LITERALS], ids=[c[0] for c in LITERALS]
)
def test_literal(source: str, kind: TokenKind, value: Any) -> None:
    [token] = tokenize(source)
    assert token.kind is kind
    assert token.value == value
    assert token.text == source


@pytest.mark.parametrize(
    "source",
    [
        '"unterminated',
        '"new\nline"',
        r'"\q"',
        r'b"\u00e9"',
        "'''open",
        "#",
        r'"\uD800"',
    ],
    ids=[
        "unterminated",
        "newline",
        "bad-escape",
        "unicode-in-bytes",
        "open-triple",
        "unknown-character",
        "surrogate",
    ],
)
def test_invalid_input_gives_error_token(source: str) -> None:
    kinds = [token.kind for token in tokenize(source)]
    assert TokenKind.ERROR in kinds


def test_punctuation_and_positions() -> None:
    tokens = tokenize('a.b[0] >= 1 // note\n  && !c || d ? e : f\n{"k": -2}')
    texts = [t.text for t in tokens]
    assert texts == [
        "a",
        ".",
        "b",
        "[",
        "0",
        "]",
        ">=",
        "1",
        "&&",
        "!",
        "c",
        "||",
        "d",
        "?",
        "e",
        ":",
        "f",
        "{",
        '"k"',
        ":",
        "-",
        "2",
        "}",
    ]
    and_token = tokens[8]
    assert (and_token.line, and_token.column, and_token.offset) == (2, 3, 22)


def test_prefix_letters_alone_are_identifiers() -> None:
    tokens = tokenize('rb + br"x" + bar')
    assert [(t.kind, t.value) for t in tokens] == [
        (TokenKind.IDENT, "rb"),
        (TokenKind.PUNCT, "+"),
        (TokenKind.BYTES, b"x"),
        (TokenKind.PUNCT, "+"),
        (TokenKind.IDENT, "bar"),
    ]


@given(st.text(max_size=80))
def test_any_text_tokenizes_without_overlap(source: str) -> None:
    tokens = tokenize(source)
    position = 0
    for token in tokens:
        gap = source[position : token.offset]
        assert re.fullmatch(r"(?:[ \t\r\n\f]+|//[^\n]*)*", gap), gap
        assert source[token.offset : token.end] == token.text
        assert token.text
        line_start = source.rfind("\n", 0, token.offset) + 1
        assert token.line == source.count("\n", 0, token.offset) + 1
        assert token.column == token.offset - line_start + 1
        position = token.end
    assert re.fullmatch(r"(?:[ \t\r\n\f]+|//[^\n]*)*", source[position:])


SAFE_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters='\\"\n\r')
ESCAPES = {"\\n": "\n", '\\"': '"', "\\\\": "\\", "\\x41": "A", "\\u00e9": "é"}


@st.composite
def string_literals(draw: st.DrawFn) -> tuple[str, str]:
    """Return (CEL source of a double-quoted literal, its decoded value)."""
    parts = draw(
        st.lists(
            st.one_of(st.text(SAFE_CHARS, max_size=5), st.sampled_from(sorted(ESCAPES)))
        )
    )
    source = '"' + "".join(parts) + '"'
    value = "".join(ESCAPES.get(part, part) for part in parts)
    return source, value


@given(
    st.lists(
        st.one_of(string_literals(), st.integers(0, 10**20).map(lambda n: (str(n), n)))
    )
)
def test_literals_decode_in_sequence(literals: list[tuple[str, Any]]) -> None:
    source = " + ".join(text for text, _ in literals)
    values = [t.value for t in tokenize(source) if t.kind is not TokenKind.PUNCT]
    assert values == [value for _, value in literals]
