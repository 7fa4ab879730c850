"""CEL constructs that cel-python 0.5.0 evaluates differently from the spec.

The engine already makes numeric comparisons, `in` and heterogeneous `==`
conformant on cel-python (see `celpython_compare`). What remains is found here
from the tokens, so `analyze_rules` can warn about it when a workspace uses
cel-python. `conformance.yaml` shows each construct on both backends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from actionplane.rules.references import punct_at, token_at
from actionplane.rules.tokens import Token, TokenKind, tokenize

# Member functions of the cel-go/cel-cpp strings extension, which cel-python
# 0.5.0 does not ship.
STRINGS_EXTENSION = frozenset(
    {
        "charAt",
        "format",
        "indexOf",
        "join",
        "lastIndexOf",
        "lowerAscii",
        "quote",
        "replace",
        "reverse",
        "split",
        "substring",
        "trim",
        "upperAscii",
    }
)
COMPREHENSIONS = frozenset({"all", "exists", "exists_one", "map", "filter"})
# Escapes that cel-python 0.5.0 leaves in the string with their backslash.
_KEPT_ESCAPES = ("\\X", "\\?", "\\`")


@dataclass(frozen=True)
class Divergence:
    """One construct at a CEL position (line and column count from 1)."""

    construct: str
    line: int
    column: int
    message: str


def find_divergences(source: str) -> list[Divergence]:
    tokens = tokenize(source)
    found: list[Divergence] = []
    for i, token in enumerate(tokens):
        found.extend(_at_token(tokens, i, token))
    found.extend(_nested_comprehensions(tokens))
    return sorted(found, key=lambda d: (d.line, d.column))


def _at_token(tokens: list[Token], i: int, token: Token) -> list[Divergence]:
    checks = (
        _strings_extension,
        _optional_syntax,
        _string_literal,
        _backquoted,
        _three_argument_map,
        _duration_argument,
        _milliseconds,
        _nanoseconds,
    )
    found = []
    for check in checks:
        message = check(tokens, i, token)
        if message is not None:
            construct, text = message
            found.append(Divergence(construct, token.line, token.column, text))
    return found


def _is_member_call(tokens: list[Token], i: int, names: frozenset[str]) -> bool:
    token = tokens[i]
    return (
        token.kind is TokenKind.IDENT
        and token.value in names
        and punct_at(tokens, i - 1, ".")
        and punct_at(tokens, i + 1, "(")
    )


def _strings_extension(
    tokens: list[Token], i: int, token: Token
) -> tuple[str, str] | None:
    if not _is_member_call(tokens, i, STRINGS_EXTENSION):
        return None
    return (
        "strings-extension",
        f"cel-python has no strings extension, so `{token.value}()` is an error "
        "at evaluation and the rule fails closed",
    )


def _optional_syntax(
    tokens: list[Token], i: int, token: Token
) -> tuple[str, str] | None:
    if not (token.is_punct("?") and punct_at(tokens, i - 1, ".", "[")):
        return None
    return ("optional-syntax", "cel-python cannot parse optional field access (`.?`)")


def _string_literal(
    tokens: list[Token], i: int, token: Token
) -> tuple[str, str] | None:
    if token.kind not in (TokenKind.STRING, TokenKind.BYTES):
        return None
    prefix = token.text[: len(token.text) - len(token.text.lstrip("rRbB"))]
    body = token.text[len(prefix) :]
    raw = "r" in prefix.lower()
    if body[:3] in ("'''", '"""') and "\n" in body and not raw:
        return (
            "triple-quoted-newline",
            "cel-python drops line breaks inside a triple-quoted string; "
            "write \\n instead",
        )
    if not raw and any(escape in body for escape in _KEPT_ESCAPES):
        return (
            "escape",
            "cel-python keeps the backslash of \\X, \\? and \\` escapes; "
            "write \\x, ? or ` instead",
        )
    return None


def _backquoted(tokens: list[Token], i: int, token: Token) -> tuple[str, str] | None:
    if token.kind is TokenKind.IDENT and token.text.startswith("`"):
        return ("backquoted-field", "cel-python cannot parse backquoted field names")
    return None


def _call_arguments(tokens: list[Token], open_index: int) -> tuple[int, int]:
    """Return the number of top-level commas and the index of the closing `)`."""
    depth = 0
    commas = 0
    for j in range(open_index, len(tokens)):
        if tokens[j].is_punct("(", "[", "{"):
            depth += 1
        elif tokens[j].is_punct(")", "]", "}"):
            depth -= 1
            if depth == 0:
                return commas, j
        elif depth == 1 and tokens[j].is_punct(","):
            commas += 1
    return commas, len(tokens)


def _three_argument_map(
    tokens: list[Token], i: int, token: Token
) -> tuple[str, str] | None:
    if not _is_member_call(tokens, i, frozenset({"map"})):
        return None
    commas, _ = _call_arguments(tokens, i + 1)
    if commas != 2:
        return None
    return (
        "map-with-filter",
        "cel-python fails on the three-argument map(x, filter, value); "
        "use filter(...) followed by map(...)",
    )


def _duration_argument(
    tokens: list[Token], i: int, token: Token
) -> tuple[str, str] | None:
    if not (token.is_ident("duration") and punct_at(tokens, i + 1, "(")):
        return None
    argument = token_at(tokens, i + 2)
    is_literal = argument is not None and argument.kind is TokenKind.STRING
    if is_literal and punct_at(tokens, i + 3, ")"):
        return None
    return (
        "duration-of-data",
        "cel-python 0.5.0 parses duration strings with a regular expression that "
        "takes exponential time on some inputs; pass only literals to duration()",
    )


def _milliseconds(tokens: list[Token], i: int, token: Token) -> tuple[str, str] | None:
    if not _is_member_call(tokens, i, frozenset({"getMilliseconds"})):
        return None
    return (
        "duration-milliseconds",
        "on a duration, cel-python returns the total milliseconds from "
        "getMilliseconds() instead of the milliseconds part",
    )


_FRACTION = re.compile(r"\.(\d{7,})")


def _nanoseconds(tokens: list[Token], i: int, token: Token) -> tuple[str, str] | None:
    if not (token.is_ident("timestamp") and punct_at(tokens, i + 1, "(")):
        return None
    argument = token_at(tokens, i + 2)
    if argument is None or argument.kind is not TokenKind.STRING:
        return None
    if not _FRACTION.search(argument.value):
        return None
    return (
        "nanoseconds",
        "cel-python keeps timestamps to the microsecond, so digits after the "
        "sixth fractional digit are lost and comparisons can differ",
    )


def _nested_comprehensions(tokens: list[Token]) -> list[Divergence]:
    found = []
    for i in range(len(tokens)):
        if not _is_member_call(tokens, i, COMPREHENSIONS):
            continue
        _, close = _call_arguments(tokens, i + 1)
        for j in range(i + 2, close):
            if _is_member_call(tokens, j, COMPREHENSIONS):
                found.append(
                    Divergence(
                        "nested-comprehension",
                        tokens[j].line,
                        tokens[j].column,
                        "cel-python has no iteration limit, so a comprehension "
                        "inside another can run for seconds on large lists",
                    )
                )
    return found
