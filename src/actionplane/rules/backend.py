"""One interface over the two CEL engines, and the choice between them.

Both engines are imported only when a backend is created, so commands that never
evaluate a rule (and `actionplane --version`) do not pay for loading them.
"""

from __future__ import annotations

import importlib
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from actionplane.config.model import CEL_BACKEND_ENV, CEL_BACKENDS, DEFAULT_CEL_BACKEND
from actionplane.errors import RuleError

# Top-level CEL variables. `request`, `record` and `connector` are JSON-like maps,
# `now` is a timestamp and `today` is the "yyyy-MM-dd" UTC date of `now`, so date
# fields stored as strings compare with `<`.
VARIABLES = ("request", "record", "connector", "now", "today")

# Per-rule result of one evaluation: the boolean the rule returned, or the text of
# the error that stopped it.
RuleResult = bool | str

_BACKEND_CLASSES = {
    "cel-expr-python": "actionplane.rules.celexpr:CelExprBackend",
    "cel-python": "actionplane.rules.celpython:CelPythonBackend",
}


class CompileProblem(NamedTuple):
    """One compile error; line and column count from 1 within the CEL source."""

    line: int
    column: int
    message: str


class CelCompileError(RuleError):
    """A rule's CEL source does not parse or does not type-check."""

    def __init__(self, rule_id: str, problems: Sequence[CompileProblem]):
        self.rule_id = rule_id
        self.problems = list(problems)
        listed = "; ".join(f"{p.line}:{p.column}: {p.message}" for p in self.problems)
        super().__init__(
            f"rule {rule_id!r} does not compile: {listed}; fix the CEL expression"
        )


class CelBackend(ABC):
    """A CEL engine: compile once, then evaluate many rules per activation."""

    name: str

    @abstractmethod
    def compile(self, rule_id: str, source: str) -> Any:
        """Compile `source` or raise CelCompileError listing every problem found."""

    @abstractmethod
    def activation(
        self,
        *,
        request: Mapping[str, Any],
        record: Mapping[str, Any],
        connector: Mapping[str, Any],
        now: datetime,
        include: Collection[str] = VARIABLES,
    ) -> Any:
        """Build the variables of one request, normalised for this engine.

        Build it once per request and pass it to `evaluate` for every rule.
        Only the variables named in `include` are converted; a rule that reads
        another one fails at evaluation.
        """

    @abstractmethod
    def evaluate(self, compiled: Sequence[Any], activation: Any) -> list[RuleResult]:
        """Evaluate compiled rules in order; an error or a non-bool is a string."""


def resolve_backend_name(
    name: str | None = None, workspace_choice: str | None = None
) -> str:
    """Pick the backend: an explicit name, then the environment, then the workspace.

    The environment variable overrides the workspace's `celBackend` so CI can run
    one rule suite on both engines without editing the workspace.
    """
    chosen = name or os.environ.get(CEL_BACKEND_ENV) or workspace_choice
    chosen = chosen or DEFAULT_CEL_BACKEND
    if chosen not in CEL_BACKENDS:
        source = "" if name else _choice_source(workspace_choice)
        raise RuleError(
            f"unknown CEL backend {chosen!r}{source}; "
            f"use one of: {', '.join(CEL_BACKENDS)}"
        )
    return chosen


def _choice_source(workspace_choice: str | None) -> str:
    if os.environ.get(CEL_BACKEND_ENV):
        return f" in ${CEL_BACKEND_ENV}"
    if workspace_choice:
        return " in celBackend of connectors.yaml"
    return ""


def get_backend(
    name: str | None = None, workspace_choice: str | None = None
) -> CelBackend:
    """Create the chosen backend; see `resolve_backend_name` for the precedence."""
    chosen = resolve_backend_name(name, workspace_choice)
    module_name, class_name = _BACKEND_CLASSES[chosen].split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise RuleError(
            f"CEL backend {chosen!r} cannot be loaded ({exc}); "
            f"install it with `pip install {chosen}` or choose another backend"
        ) from exc
    backend: CelBackend = getattr(module, class_name)()
    return backend


_PYTHON_REPR = re.compile(r" \(in (activation|container) '.*", re.DOTALL)


def shorten_error(message: str, limit: int = 300) -> str:
    """Shorten engine error text and drop the activation reprs celpy appends."""
    text = _PYTHON_REPR.sub("", message.strip())
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text
