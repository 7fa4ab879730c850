"""The cel-python backend: a pure-Python CEL interpreter, the fallback engine.

Facts about cel-python 0.5.0 that this module relies on:

- Only `InterpretedRunner` is used. `CompiledRunner` executes generated code in
  the module globals of `celpy.evaluation`, so concurrent evaluations can read
  each other's variables, and it cannot call custom functions.
- Creating the first `Environment` builds the Lark grammar (about 110 ms) and
  calls `sys.setrecursionlimit(2500)` for the whole process.
- `json_to_cel` converts a whole document eagerly, so each request is converted
  once and the result shared by all rules.
- Errors are raised as `CELEvalError`; deep expressions raise RecursionError and
  some macros leak plain Python exceptions, which are all reported as errors.
- `compile` only parses, so undeclared names are checked here from the tokens.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import celpy
from celpy import celtypes, evaluation
from celpy.adapter import json_to_cel

from actionplane.rules.backend import (
    VARIABLES,
    CelBackend,
    CelCompileError,
    CompileProblem,
    RuleResult,
    shorten_error,
)
from actionplane.rules.celpython_compare import conformant_functions
from actionplane.rules.names import undeclared_names
from actionplane.rules.normalize import as_utc, normalize, utc_date

# cel-python logs ordinary CEL errors, and every evaluation step at DEBUG level;
# rule errors are reported in the decision trace instead.
logging.getLogger("celpy").setLevel(logging.CRITICAL + 1)

_FUNCTION_NAMES = frozenset(
    name for name in evaluation.base_functions if name.isidentifier()
)


class CelPythonBackend(CelBackend):
    """cel-python with spec-conformant comparisons.

    `conformant_comparisons=False` keeps cel-python's own operators; the
    conformance tests use it to show what the overrides change.
    """

    name = "cel-python"

    def __init__(self, *, conformant_comparisons: bool = True) -> None:
        self.env = celpy.Environment(runner_class=celpy.InterpretedRunner)
        self.functions = conformant_functions() if conformant_comparisons else {}

    def compile(self, rule_id: str, source: str) -> Any:
        try:
            tree = self.env.compile(source)
        except celpy.CELParseError as exc:
            raise CelCompileError(rule_id, [_parse_problem(exc)]) from None
        problems = undeclared_names(source, VARIABLES, _FUNCTION_NAMES)
        if problems:
            raise CelCompileError(rule_id, problems)
        return self.env.program(tree, functions=self.functions)

    def activation(
        self,
        *,
        request: Mapping[str, Any],
        record: Mapping[str, Any],
        connector: Mapping[str, Any],
        now: datetime,
        include: Collection[str] = VARIABLES,
    ) -> Any:
        data: dict[str, Any] = {}
        for name, value in (
            ("request", request),
            ("record", record),
            ("connector", connector),
        ):
            if name in include:
                data[name] = json_to_cel(normalize(value, name))
        if "now" in include:
            data["now"] = celtypes.TimestampType(as_utc(now))
        if "today" in include:
            data["today"] = celtypes.StringType(utc_date(now))
        return data

    def evaluate(self, compiled: Sequence[Any], activation: Any) -> list[RuleResult]:
        return [_evaluate_one(program, activation) for program in compiled]


def _evaluate_one(program: Any, activation: dict[str, Any]) -> RuleResult:
    try:
        value = program.evaluate(activation)
    except evaluation.CELEvalError as exc:
        return shorten_error(str(exc.args[0]) if exc.args else str(exc))
    except RecursionError:
        return "the expression nests too deeply for cel-python"
    except Exception as exc:  # cel-python 0.5.0 leaks plain Python errors
        return shorten_error(f"cel-python failed: {type(exc).__name__}: {exc}")
    if isinstance(value, celtypes.BoolType):
        return bool(value)
    return f"the rule returned {type(value).__name__} {value}, not bool"


def _parse_problem(exc: celpy.CELParseError) -> CompileProblem:
    line = getattr(exc, "line", None) or 1
    column = getattr(exc, "column", None) or 1
    return CompileProblem(line, column, _syntax_message(exc.__context__))


def _syntax_message(cause: BaseException | None) -> str:
    """Describe a Lark parse error in the words cel-expr-python uses."""
    token = getattr(cause, "token", None)
    if token is not None:
        if getattr(token, "type", "") == "$END":
            return "Syntax error: unexpected end of expression"
        return f"Syntax error: unexpected {str(token)!r}"
    char = getattr(cause, "char", None)
    if char is not None:
        return f"Syntax error: unexpected character {char!r}"
    return "Syntax error"
