"""Find `request.changes.FIELD` and `record.FIELD` references in CEL tokens.

Recognised spellings: `.FIELD`, `.?FIELD`, `["FIELD"]` and `[?"FIELD"]` after the
top-level variable `record` or after `request.changes`.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from actionplane.rules.tokens import Token, TokenKind

Scope = Literal["changes", "record"]


class Reference(NamedTuple):
    """A field reference: tokens[start:end] spell it and `name` is the field token."""

    scope: Scope
    start: int
    name: Token
    end: int
    optional: bool

    @property
    def field(self) -> str:
        field: str = self.name.value
        return field


def token_at(tokens: list[Token], i: int) -> Token | None:
    return tokens[i] if 0 <= i < len(tokens) else None


def punct_at(tokens: list[Token], i: int, *symbols: str) -> bool:
    token = token_at(tokens, i)
    return token is not None and token.is_punct(*symbols)


def is_root(tokens: list[Token], i: int, name: str) -> bool:
    """Return whether tokens[i] is the top-level variable `name`, not a field."""
    token = token_at(tokens, i)
    if token is None or not token.is_ident(name):
        return False
    return not punct_at(tokens, i - 1, ".")


def is_changes_map(tokens: list[Token], i: int) -> bool:
    """Return whether tokens[i:i+3] spell `request.changes`."""
    third = token_at(tokens, i + 2)
    return (
        is_root(tokens, i, "request")
        and punct_at(tokens, i + 1, ".")
        and third is not None
        and third.is_ident("changes")
    )


def _field_after(tokens: list[Token], i: int) -> tuple[Token, int, bool] | None:
    optional = punct_at(tokens, i + 1, "?")
    name_index = i + 2 if optional else i + 1
    name = token_at(tokens, name_index)
    if name is None:
        return None
    if punct_at(tokens, i, ".") and name.kind is TokenKind.IDENT:
        return name, name_index + 1, optional
    if (
        punct_at(tokens, i, "[")
        and name.kind is TokenKind.STRING
        and punct_at(tokens, name_index + 1, "]")
    ):
        return name, name_index + 2, optional
    return None


def find_references(tokens: list[Token]) -> list[Reference]:
    found: list[Reference] = []
    for i in range(len(tokens)):
        if is_changes_map(tokens, i):
            scope: Scope = "changes"
            field = _field_after(tokens, i + 3)
        elif is_root(tokens, i, "record"):
            scope = "record"
            field = _field_after(tokens, i + 1)
        else:
            continue
        if field is not None:
            found.append(Reference(scope, i, field[0], field[1], field[2]))
    return found


def is_has_call(tokens: list[Token], reference: Reference) -> bool:
    """Return whether the reference is the whole argument of `has(...)`."""
    return (
        token_at(tokens, reference.start - 2) is not None
        and tokens[reference.start - 2].is_ident("has")
        and punct_at(tokens, reference.start - 1, "(")
        and punct_at(tokens, reference.end, ")")
    )
