"""A CEL tokenizer for static analysis without a CEL engine.

It follows the lexical grammar of the CEL specification. That covers
identifiers (also backquoted), int, uint and double literals (decimal and hex),
and strings and bytes with every prefix (`r`, `b`, both) and quote style
(single, double, triple) and their escape sequences. It also covers `//`
comments and punctuation. It never raises: a character or literal it cannot
read becomes an ERROR token, so analysis of a rule that does not compile still
returns what it can.
"""

from __future__ import annotations

import bisect
import enum
import re
from dataclasses import dataclass
from typing import Any


class TokenKind(enum.StrEnum):
    IDENT = "ident"
    STRING = "string"
    BYTES = "bytes"
    INT = "int"
    UINT = "uint"
    DOUBLE = "double"
    PUNCT = "punct"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Token:
    """One token; `value` is the decoded literal, the name, or the punctuation.

    `offset` counts characters from 0; `line` and `column` count from 1.
    """

    kind: TokenKind
    text: str
    value: Any
    offset: int
    line: int
    column: int

    @property
    def end(self) -> int:
        return self.offset + len(self.text)

    def is_punct(self, *symbols: str) -> bool:
        return self.kind is TokenKind.PUNCT and self.value in symbols

    def is_ident(self, *names: str) -> bool:
        return self.kind is TokenKind.IDENT and self.value in names


_SPACE = re.compile(r"(?:[ \t\r\n\f]+|//[^\n]*)+")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BACKQUOTED = re.compile(r"`[^`\n]*`")
_HEX = re.compile(r"0[xX][0-9a-fA-F]+[uU]?")
_NUMBER = re.compile(
    r"(?:[0-9]+\.[0-9]+(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?"
    r"|[0-9]+[eE][+-]?[0-9]+|[0-9]+[uU]?)"
)
_STRING_START = re.compile(r"([rRbB]{0,2})('''|\"\"\"|'|\")")
_PUNCTUATION = ("&&", "||", "==", "!=", "<=", ">=", *"<>!+-*/%?:.,()[]{}")

_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "?": "?",
    '"': '"',
    "'": "'",
    "`": "`",
}
_ESCAPE = re.compile(
    r"\\(?:([abfnrtv\\?\"'`])|[xX]([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})"
    r"|U([0-9a-fA-F]{8})|([0-3][0-7]{2}))"
)


def tokenize(source: str) -> list[Token]:
    """Split CEL source into tokens, skipping whitespace and comments."""
    line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
    tokens: list[Token] = []
    position = 0
    while position < len(source):
        space = _SPACE.match(source, position)
        if space:
            position = space.end()
            continue
        kind, end, value = _read_token(source, position)
        line = bisect.bisect_right(line_starts, position)
        column = position - line_starts[line - 1] + 1
        text = source[position:end]
        tokens.append(Token(kind, text, value, position, line, column))
        position = end
    return tokens


def _read_token(source: str, start: int) -> tuple[TokenKind, int, Any]:
    string_start = _STRING_START.match(source, start)
    if string_start and _is_string_prefix(string_start.group(1)):
        return _read_string(source, start, string_start)
    ident = _IDENT.match(source, start)
    if ident:
        return TokenKind.IDENT, ident.end(), ident.group()
    if source[start] == "`":
        quoted = _BACKQUOTED.match(source, start)
        if quoted:
            return TokenKind.IDENT, quoted.end(), quoted.group()[1:-1]
        return TokenKind.ERROR, start + 1, None
    number = _HEX.match(source, start) or _NUMBER.match(source, start)
    if number:
        return _number_token(number.group(), number.end())
    for symbol in _PUNCTUATION:
        if source.startswith(symbol, start):
            return TokenKind.PUNCT, start + len(symbol), symbol
    return TokenKind.ERROR, start + 1, None


def _is_string_prefix(prefix: str) -> bool:
    lowered = prefix.lower()
    return lowered in ("", "r", "b", "rb", "br")


def _number_token(text: str, end: int) -> tuple[TokenKind, int, Any]:
    unsigned = text[-1] in "uU"
    digits = text[:-1] if unsigned else text
    if digits[:2] in ("0x", "0X"):
        value: int | float = int(digits, 16)
    elif any(c in digits for c in ".eE"):
        return TokenKind.DOUBLE, end, float(digits)
    else:
        value = int(digits)
    return (TokenKind.UINT if unsigned else TokenKind.INT), end, value


def _read_string(
    source: str, start: int, opening: re.Match[str]
) -> tuple[TokenKind, int, Any]:
    prefix = opening.group(1).lower()
    quote = opening.group(2)
    body_start = opening.end()
    close = _find_closing_quote(source, body_start, quote, raw="r" in prefix)
    if close < 0:
        stop = len(source) if len(quote) == 3 else _line_end(source, start)
        return TokenKind.ERROR, stop, None
    body = source[body_start:close]
    end = close + len(quote)
    is_bytes = "b" in prefix
    kind = TokenKind.BYTES if is_bytes else TokenKind.STRING
    if "r" in prefix:
        return kind, end, body.encode() if is_bytes else body
    decoded = decode_escapes(body, is_bytes)
    if decoded is None:
        return TokenKind.ERROR, end, None
    return kind, end, decoded


def _line_end(source: str, start: int) -> int:
    newline = source.find("\n", start)
    return len(source) if newline < 0 else newline


def _find_closing_quote(source: str, start: int, quote: str, *, raw: bool) -> int:
    """Return the offset of the closing quote, or -1 when there is none.

    Outside raw literals a backslash starts an escape, so the character after it
    cannot close the literal. In raw literals a backslash is an ordinary
    character, as in the CEL grammar.
    """
    position = start
    while position < len(source):
        char = source[position]
        if char == "\\" and not raw:
            position += 2
            continue
        if len(quote) == 1 and char == "\n":
            return -1
        if source.startswith(quote, position):
            return position
        position += 1
    return -1


def decode_escapes(body: str, is_bytes: bool = False) -> str | bytes | None:
    """Decode the escape sequences of a non-raw literal; None when one is invalid.

    In bytes literals `\\x` and octal escapes give single bytes; elsewhere the
    text is UTF-8. `\\u` and `\\U` are not allowed in bytes literals.
    """
    parts: list[bytes] = []
    position = 0
    while position < len(body):
        backslash = body.find("\\", position)
        if backslash < 0:
            parts.append(body[position:].encode())
            break
        parts.append(body[position:backslash].encode())
        escape = _ESCAPE.match(body, backslash)
        if escape is None:
            return None
        decoded = _decode_one(escape, is_bytes)
        if decoded is None:
            return None
        parts.append(decoded)
        position = escape.end()
    joined = b"".join(parts)
    if is_bytes:
        return joined
    try:
        return joined.decode()
    except UnicodeDecodeError:
        return None


def _decode_one(escape: re.Match[str], is_bytes: bool) -> bytes | None:
    simple, hex_pair, short_unicode, long_unicode, octal = escape.groups()
    if simple:
        return _SIMPLE_ESCAPES[simple].encode()
    if hex_pair or octal:
        number = int(hex_pair, 16) if hex_pair else int(octal, 8)
        return bytes([number]) if is_bytes else chr(number).encode()
    if is_bytes:
        return None
    code_point = int(short_unicode or long_unicode, 16)
    if code_point > 0x10FFFF or 0xD800 <= code_point <= 0xDFFF:
        return None
    return chr(code_point).encode()
