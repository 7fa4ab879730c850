"""Find the literals each field of a rule is compared with.

Recognised forms, with either operand first: `request.changes.F.after OP lit`,
`request.changes.F.before OP lit` and `record.F OP lit`, where OP is a
comparison, plus `... in [lit, lit]`. A literal is a string, bytes, number
(with an optional minus), bool or null. An operand next to an operator that binds
tighter than a comparison (`2 * record.F > 3`, `record.F > 100 * 2`) is not a
plain field or a plain literal, so it is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from actionplane.rules.references import (
    Reference,
    Scope,
    find_references,
    punct_at,
    token_at,
)
from actionplane.rules.tokens import Token, TokenKind

COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
_FLIPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
# Operators that bind tighter than a comparison: placed before an operand
# (`2 * record.F`) or after it (`record.F * 2`, `record.F.size()`), they make the
# operand part of a larger expression.
BINDS_BEFORE = ("+", "-", "*", "/", "%", "!", ".")
BINDS_AFTER = ("+", "-", "*", "/", "%", ".", "[", "(")
_LITERAL_KINDS = {
    TokenKind.STRING: "string",
    TokenKind.BYTES: "bytes",
    TokenKind.INT: "int",
    TokenKind.UINT: "uint",
    TokenKind.DOUBLE: "double",
}
_CONSTANTS = {"true": ("bool", True), "false": ("bool", False), "null": ("null", None)}


@dataclass(frozen=True)
class LiteralComparison:
    """A field compared with a literal, stated with the field on the left.

    `operator` is flipped when the source puts the literal first, so
    `100 < request.changes.Amount.after` is stored with `>`. An `in [..]` list
    gives one entry per item with the operator "in". `part` is "after" or
    "before" for `request.changes` and None for `record`. `line`, `column` and
    `end_column` locate the literal in the CEL source (columns from 1, end
    exclusive).
    """

    field: str
    scope: Scope
    part: str | None
    operator: str
    kind: str
    value: Any
    text: str
    line: int
    column: int
    end_column: int


@dataclass(frozen=True)
class _Literal:
    kind: str
    value: Any
    first: int
    last: int


def find_comparisons(tokens: list[Token]) -> list[LiteralComparison]:
    found: list[LiteralComparison] = []
    for reference in find_references(tokens):
        part, end = _operand(tokens, reference)
        if end < 0:
            continue
        if not punct_at(tokens, reference.start - 1, *BINDS_BEFORE):
            found.extend(_field_first(tokens, reference, part, end))
        if not punct_at(tokens, end, *BINDS_AFTER):
            found.extend(_literal_first(tokens, reference, part))
    return found


def _operand(tokens: list[Token], reference: Reference) -> tuple[str | None, int]:
    """Return the change part and the index after the operand, -1 if none."""
    if reference.scope == "record":
        return None, reference.end
    part = token_at(tokens, reference.end + 1)
    if (
        punct_at(tokens, reference.end, ".")
        and part
        and part.is_ident("after", "before")
    ):
        return part.value, reference.end + 2
    return None, -1


def _read_literal(tokens: list[Token], i: int) -> _Literal | None:
    token = token_at(tokens, i)
    if token is None:
        return None
    if token.is_punct("-"):
        number = token_at(tokens, i + 1)
        if number is not None and number.kind in (TokenKind.INT, TokenKind.DOUBLE):
            return _Literal(_LITERAL_KINDS[number.kind], -number.value, i, i + 1)
        return None
    if token.kind in _LITERAL_KINDS:
        return _Literal(_LITERAL_KINDS[token.kind], token.value, i, i)
    if token.kind is TokenKind.IDENT and token.value in _CONSTANTS:
        kind, value = _CONSTANTS[token.value]
        return _Literal(kind, value, i, i)
    return None


def _field_first(
    tokens: list[Token], reference: Reference, part: str | None, end: int
) -> list[LiteralComparison]:
    operator = token_at(tokens, end)
    if operator is None:
        return []
    if operator.is_punct(*COMPARISONS):
        literal = _read_literal(tokens, end + 1)
        if literal is None or punct_at(tokens, literal.last + 1, *BINDS_AFTER):
            return []
        return [_comparison(tokens, reference, part, operator.value, literal)]
    if operator.is_ident("in") and punct_at(tokens, end + 1, "["):
        return _list_items(tokens, reference, part, end + 2)
    return []


def _list_items(
    tokens: list[Token], reference: Reference, part: str | None, i: int
) -> list[LiteralComparison]:
    """Read `lit, lit, ...]` from tokens[i]; all items must be literals."""
    items = []
    while True:
        literal = _read_literal(tokens, i)
        if literal is None:
            return []
        items.append(_comparison(tokens, reference, part, "in", literal))
        i = literal.last + 1
        if punct_at(tokens, i, ",") and punct_at(tokens, i + 1, "]"):
            i += 1
        if punct_at(tokens, i, "]"):
            return [] if punct_at(tokens, i + 1, *BINDS_AFTER) else items
        if not punct_at(tokens, i, ","):
            return []
        i += 1


def _literal_first(
    tokens: list[Token], reference: Reference, part: str | None
) -> list[LiteralComparison]:
    operator = token_at(tokens, reference.start - 1)
    if operator is None or not operator.is_punct(*COMPARISONS):
        return []
    for first in (reference.start - 2, reference.start - 3):
        literal = _read_literal(tokens, first)
        if literal is not None and literal.last == reference.start - 2:
            if punct_at(tokens, first - 1, *BINDS_BEFORE):
                return []
            flipped = _FLIPPED[operator.value]
            return [_comparison(tokens, reference, part, flipped, literal)]
    return []


def _comparison(
    tokens: list[Token],
    reference: Reference,
    part: str | None,
    operator: str,
    literal: _Literal,
) -> LiteralComparison:
    head = tokens[literal.first]
    tail = tokens[literal.last]
    return LiteralComparison(
        field=reference.field,
        scope=reference.scope,
        part=part,
        operator=operator,
        kind=literal.kind,
        value=literal.value,
        text="-" + tail.text if literal.first != literal.last else head.text,
        line=head.line,
        column=head.column,
        end_column=tail.column + len(tail.text),
    )


@dataclass(frozen=True)
class IntArithmetic:
    """A field used in arithmetic with an int literal, located at the literal."""

    field: str
    scope: Scope
    text: str
    line: int
    column: int


_ARITHMETIC = ("+", "-", "*", "/", "%")


def find_int_arithmetic(tokens: list[Token]) -> list[IntArithmetic]:
    """Find `F * 2`, `2 + F` and the like, where F is a field value.

    Request and record numbers reach CEL as doubles, and CEL has no arithmetic
    between double and int, so these fail at evaluation on both backends.
    """
    found = []
    for reference in find_references(tokens):
        _, end = _operand(tokens, reference)
        if end < 0:
            continue
        after = token_at(tokens, end + 1)
        before = token_at(tokens, reference.start - 2)
        if punct_at(tokens, end, *_ARITHMETIC) and _is_int(after):
            assert after is not None
            found.append(_arithmetic(reference, after))
        if punct_at(tokens, reference.start - 1, *_ARITHMETIC) and _is_int(before):
            assert before is not None
            found.append(_arithmetic(reference, before))
    return found


def _is_int(token: Token | None) -> bool:
    return token is not None and token.kind in (TokenKind.INT, TokenKind.UINT)


def _arithmetic(reference: Reference, literal: Token) -> IntArithmetic:
    return IntArithmetic(
        reference.field, reference.scope, literal.text, literal.line, literal.column
    )
