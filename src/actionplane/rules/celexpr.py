"""The cel-expr-python backend: Google's C++ CEL runtime (cel-cpp) through pybind11.

Facts about cel-expr-python 0.1.3 that this module relies on:

- `Env.compile` parses and type-checks; problems are raised as one RuntimeError
  whose text holds an `ERROR: <input>:LINE:COLUMN: message` block per problem.
- CEL errors at evaluation come back as a value of type ERROR; only resource
  limits (10,000 comprehension iterations per evaluation) raise RuntimeError.
- Values are converted from Python as the expression reads them, so one
  Activation per request shared by all rules costs one conversion per field read.
- `datetime` is accepted only for variables declared TIMESTAMP, hence `now`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from cel_expr_python import cel
from cel_expr_python.ext import ext_optional, ext_strings

from actionplane.rules.backend import (
    VARIABLES,
    CelBackend,
    CelCompileError,
    CompileProblem,
    RuleResult,
    shorten_error,
)
from actionplane.rules.normalize import as_utc, normalize, utc_date

# One `ERROR: <input>:L:C: message` block; the message runs until the source
# excerpt (" | ...") or the next block.
_ERROR_BLOCK = re.compile(
    r"ERROR: <input>:(\d+):(\d+): (.*?)(?=\n \||\nERROR: |\s*\[[A-Z_]+\]\s*$|$)",
    re.DOTALL,
)
# Absl status codes that wrap cel-cpp messages, such as "INVALID_ARGUMENT: " in
# front and " [INTERNAL]" at the end.
_STATUS_PREFIX = re.compile(r"^[A-Z_]+: ")
_STATUS_SUFFIX = re.compile(r"\s*\[[A-Z_]+\]$")

_RESULT_TYPES = (cel.Type.BOOL, cel.Type.DYN)


class CelExprBackend(CelBackend):
    name = "cel-expr-python"

    def __init__(self) -> None:
        self.env = cel.NewEnv(
            variables={
                "request": cel.Type.DYN,
                "record": cel.Type.DYN,
                "connector": cel.Type.DYN,
                "now": cel.Type.TIMESTAMP,
                "today": cel.Type.STRING,
            },
            extensions=[ext_strings.ExtStrings(), ext_optional.ExtOptional()],
        )

    def compile(self, rule_id: str, source: str) -> Any:
        try:
            expression = self.env.compile(source)
        except RuntimeError as exc:
            raise CelCompileError(rule_id, parse_errors(str(exc))) from None
        result_type = expression.return_type()
        if result_type not in _RESULT_TYPES:
            problem = CompileProblem(
                1, 1, f"the rule returns {result_type}, but a rule must return bool"
            )
            raise CelCompileError(rule_id, [problem])
        return expression

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
        if "request" in include:
            data["request"] = normalize(request, "request")
        if "record" in include:
            data["record"] = normalize(record, "record")
        if "connector" in include:
            data["connector"] = normalize(connector, "connector")
        if "now" in include:
            data["now"] = as_utc(now)
        if "today" in include:
            data["today"] = utc_date(now)
        return self.env.Activation(data)

    def evaluate(self, compiled: Sequence[Any], activation: Any) -> list[RuleResult]:
        # One loop without helper calls: this runs for every rule of every request.
        results: list[RuleResult] = []
        for expression in compiled:
            try:
                value = expression.eval(activation)
            except RuntimeError as exc:
                results.append(_clean(str(exc)))
                continue
            plain = value.value()
            if plain is True or plain is False:
                results.append(plain)
            else:
                results.append(_not_bool(value))
        return results


def _not_bool(value: Any) -> str:
    kind = value.type()
    if kind == cel.Type.ERROR:
        return _clean(str(value.value()))
    return f"the rule returned {kind} {value.plain_value()!r}, not bool"


def parse_errors(text: str) -> list[CompileProblem]:
    """Split cel-cpp's compile error text into one problem per `ERROR:` block."""
    problems = [
        CompileProblem(int(m.group(1)), int(m.group(2)), _clean(m.group(3)))
        for m in _ERROR_BLOCK.finditer(text)
    ]
    if not problems:
        problems = [CompileProblem(1, 1, _clean(text))]
    return problems


def _clean(message: str) -> str:
    text = _STATUS_SUFFIX.sub("", _STATUS_PREFIX.sub("", message.strip()))
    return shorten_error(text)
