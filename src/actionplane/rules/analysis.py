"""Static analysis of one rule's CEL source, from its tokens alone.

It finds the fields a rule reads through `request.changes` and `record`, and
which of those reads a `has()` or `in` test guards. It also finds the literals
each field is compared with (see `literals`) and the fields a request must
change for the rule to be true.

The analysis reads tokens, not a syntax tree. It recognises the spellings listed
in `references` and reports nothing for others (for example
`request["changes"]`), so reads and comparisons are a lower bound. Only
`required_fields` must be exact in one direction, because the engine skips rules
by it: it lists a field only when the rule cannot be true without it.
"""

from __future__ import annotations

from dataclasses import dataclass

from actionplane.rules.literals import BINDS_BEFORE, LiteralComparison, find_comparisons
from actionplane.rules.references import (
    Scope,
    find_references,
    is_changes_map,
    is_has_call,
    punct_at,
)
from actionplane.rules.tokens import Token, TokenKind, tokenize


@dataclass(frozen=True)
class FieldRead:
    """A read of `request.changes.FIELD` or `record.FIELD` in the CEL source.

    `guarded` is true in three cases: the read uses the optional form
    (`.?FIELD`), a top-level `&&` conjunct tests the field, or a `has()` or
    `in` test of the field comes earlier in the source. The conjunct counts in
    any position because CEL's `&&` is false when any operand is false.
    `line` and `column` locate the field name and count from 1.
    """

    field: str
    scope: Scope
    line: int
    column: int
    guarded: bool


@dataclass(frozen=True)
class RuleAnalysis:
    reads: tuple[FieldRead, ...]
    guards: frozenset[str]
    comparisons: tuple[LiteralComparison, ...]
    required_fields: frozenset[str]

    @property
    def change_reads(self) -> tuple[FieldRead, ...]:
        return tuple(r for r in self.reads if r.scope == "changes")

    @property
    def record_reads(self) -> tuple[FieldRead, ...]:
        return tuple(r for r in self.reads if r.scope == "record")

    @property
    def unguarded_change_reads(self) -> tuple[FieldRead, ...]:
        return tuple(r for r in self.change_reads if not r.guarded)

    @property
    def changed_fields(self) -> frozenset[str]:
        """Fields of `request.changes` that the rule reads or tests for."""
        return frozenset(r.field for r in self.change_reads) | self.guards


def analyze(source: str) -> RuleAnalysis:
    tokens = tokenize(source)
    guards = _guards(tokens)
    required = required_fields(tokens)
    return RuleAnalysis(
        reads=tuple(_reads(tokens, guards, required)),
        guards=frozenset(name for scope, name, _ in guards if scope == "changes"),
        comparisons=tuple(find_comparisons(tokens)),
        required_fields=required,
    )


def _guards(tokens: list[Token]) -> list[tuple[Scope, str, int]]:
    """Return scope, field and offset of each `has(...)` and `"F" in ...` test."""
    guards: list[tuple[Scope, str, int]] = [
        (ref.scope, ref.field, tokens[ref.start].offset)
        for ref in find_references(tokens)
        if is_has_call(tokens, ref)
    ]
    for i in range(2, len(tokens)):
        if (
            is_changes_map(tokens, i)
            and tokens[i - 1].is_ident("in")
            and tokens[i - 2].kind is TokenKind.STRING
            and not punct_at(tokens, i + 3, ".", "[")
            and not punct_at(tokens, i - 3, *BINDS_BEFORE)
        ):
            guards.append(("changes", tokens[i - 2].value, tokens[i - 2].offset))
    return guards


def _reads(
    tokens: list[Token],
    guards: list[tuple[Scope, str, int]],
    required: frozenset[str],
) -> list[FieldRead]:
    reads = []
    for ref in find_references(tokens):
        if is_has_call(tokens, ref):
            continue
        conjunct_guard = ref.scope == "changes" and ref.field in required
        guarded = (
            ref.optional
            or conjunct_guard
            or any(
                scope == ref.scope and name == ref.field and offset < ref.name.offset
                for scope, name, offset in guards
            )
        )
        reads.append(
            FieldRead(ref.field, ref.scope, ref.name.line, ref.name.column, guarded)
        )
    return reads


# --- required fields ----------------------------------------------------------


def required_fields(tokens: list[Token]) -> frozenset[str]:
    """Return fields that `request.changes` must hold for the rule to be true.

    Only top-level `&&` conjuncts of the exact forms `"F" in request.changes`
    and `has(request.changes.F)` count, each optionally in parentheses. This is
    sound because CEL's `&&` is false as soon as one operand is false, even
    when another operand is an error.
    """
    conjuncts = _top_level_conjuncts(tokens)
    fields = (_required_field(c) for c in conjuncts)
    return frozenset(field for field in fields if field is not None)


def _top_level_conjuncts(tokens: list[Token]) -> list[list[Token]]:
    """Split at depth-0 `&&`; return nothing if `||` or `?:` is at depth 0."""
    conjuncts: list[list[Token]] = [[]]
    depth = 0
    for i, token in enumerate(tokens):
        if token.is_punct("(", "[", "{"):
            depth += 1
        elif token.is_punct(")", "]", "}"):
            depth -= 1
        elif depth == 0 and _is_disjunction_or_conditional(tokens, i):
            return []
        if depth == 0 and token.is_punct("&&"):
            conjuncts.append([])
        else:
            conjuncts[-1].append(token)
    return conjuncts


def _is_disjunction_or_conditional(tokens: list[Token], i: int) -> bool:
    if tokens[i].is_punct("||"):
        return True
    # `?` after `.` or `[` is optional field access, not the conditional operator.
    return tokens[i].is_punct("?") and not punct_at(tokens, i - 1, ".", "[")


def _strip_parentheses(tokens: list[Token]) -> list[Token]:
    while len(tokens) >= 2 and tokens[0].is_punct("(") and tokens[-1].is_punct(")"):
        depth = 0
        for i, token in enumerate(tokens):
            depth += token.is_punct("(") - token.is_punct(")")
            if depth == 0 and i < len(tokens) - 1:
                return tokens
        tokens = tokens[1:-1]
    return tokens


def _required_field(conjunct: list[Token]) -> str | None:
    tokens = _strip_parentheses(conjunct)
    shape = [t.text if t.kind is not TokenKind.STRING else "STRING" for t in tokens]
    if shape == ["STRING", "in", "request", ".", "changes"]:
        field: str = tokens[0].value
        return field
    if (
        shape[:6] == ["has", "(", "request", ".", "changes", "."]
        and len(tokens) == 8
        and tokens[6].kind is TokenKind.IDENT
        and not tokens[6].text.startswith("`")
        and tokens[7].is_punct(")")
    ):
        field = tokens[6].value
        return field
    return None
