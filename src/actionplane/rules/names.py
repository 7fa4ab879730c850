"""Find undeclared variable and function names in CEL source.

cel-expr-python type-checks rules at compile time and rejects `requst.object`.
cel-python has no checker, so its backend runs this token-level check to reject
the same typos at load time instead of failing every request.
"""

from __future__ import annotations

from collections.abc import Iterable

from actionplane.rules.backend import CompileProblem
from actionplane.rules.divergence import COMPREHENSIONS
from actionplane.rules.references import punct_at, token_at
from actionplane.rules.tokens import Token, TokenKind, tokenize

# Names that are values without being variables: literals and type names.
_BUILTIN_VALUES = frozenset(
    {
        "true",
        "false",
        "null",
        "in",
        "int",
        "uint",
        "double",
        "bool",
        "string",
        "bytes",
        "list",
        "map",
        "type",
        "null_type",
        "dyn",
    }
)
_MACROS = frozenset({"has", "dyn"})


def undeclared_names(
    source: str, variables: Iterable[str], functions: Iterable[str]
) -> list[CompileProblem]:
    """Return a problem for each identifier that names no variable or function.

    Member names after `.` are not checked, because they are map keys or
    member functions. Variables bound by comprehension macros count as declared.
    """
    tokens = tokenize(source)
    declared = _BUILTIN_VALUES | set(variables) | _bound_variables(tokens)
    callable_names = _BUILTIN_VALUES | _MACROS | set(functions)
    problems = []
    for i, token in enumerate(tokens):
        if token.kind is not TokenKind.IDENT or punct_at(tokens, i - 1, "."):
            continue
        if punct_at(tokens, i + 1, ":") and punct_at(tokens, i - 1, "{", ","):
            continue  # A message field name, or a map key written as a name.
        if punct_at(tokens, i + 1, "("):
            if token.value not in callable_names:
                message = f"undeclared reference to function {token.value!r}"
                problems.append(CompileProblem(token.line, token.column, message))
        elif token.value not in declared:
            message = f"undeclared reference to {token.value!r}"
            problems.append(CompileProblem(token.line, token.column, message))
    return problems


def _bound_variables(tokens: list[Token]) -> set[str]:
    """Return names bound by `.all(x, ...)` and the other comprehension macros."""
    bound = set()
    for i, token in enumerate(tokens):
        variable = token_at(tokens, i + 2)
        if (
            token.kind is TokenKind.IDENT
            and token.value in COMPREHENSIONS
            and punct_at(tokens, i - 1, ".")
            and punct_at(tokens, i + 1, "(")
            and variable is not None
            and variable.kind is TokenKind.IDENT
            and punct_at(tokens, i + 3, ",")
        ):
            bound.add(variable.value)
    return bound
