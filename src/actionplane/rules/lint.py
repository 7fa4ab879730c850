"""Static warnings about rules, found without evaluating them.

Codes:

- `rule.unguarded-field`: the rule reads `request.changes.F` without a `has()`
  or `in` test, so a request that does not change F makes it fail closed.
- `rule.field-not-allowed`: the rule reads a changed field that no object in
  its scope allows, so it can never see that field change.
- `rule.int-arithmetic`: arithmetic between a field and an int literal, which
  fails on both backends because request and record numbers are doubles.
- `rule.cel-python-divergence`: a construct cel-python 0.5.0 evaluates
  differently from the CEL specification, reported only when the workspace
  uses cel-python.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from actionplane.config.model import Rule, Workspace
from actionplane.diagnostics import Diagnostic, Location, warning
from actionplane.rules.analysis import analyze
from actionplane.rules.backend import resolve_backend_name
from actionplane.rules.compiler import policy_lines
from actionplane.rules.divergence import find_divergences
from actionplane.rules.literals import find_int_arithmetic
from actionplane.rules.positions import excerpt, file_position
from actionplane.rules.tokens import tokenize


def analyze_rules(
    workspace: Workspace,
    backend_name: str | None = None,
    file_lines: Mapping[str, list[str]] | None = None,
) -> list[Diagnostic]:
    """Return warnings for every rule of the workspace.

    `backend_name` and `$ACTIONPLANE_CEL_BACKEND` choose the backend as in
    `get_backend`; cel-python warnings appear only when it is the choice.
    `file_lines` is as for `compiler.compile_rules`.
    """
    backend = resolve_backend_name(backend_name, workspace.cel_backend)
    diagnostics: list[Diagnostic] = []
    for policy in workspace.policies:
        lines = policy_lines(workspace, policy.path, file_lines)
        for rule in policy.rules:
            context = _RuleContext(rule, lines)
            diagnostics.extend(_unguarded(context))
            diagnostics.extend(_outside_allowlist(context, workspace))
            diagnostics.extend(_int_arithmetic(context))
            if backend == "cel-python":
                diagnostics.extend(_divergences(context))
    return diagnostics


class _RuleContext:
    def __init__(self, rule: Rule, file_lines: list[str] | None) -> None:
        self.rule = rule
        self.file_lines = file_lines
        self.analysis = analyze(rule.when)

    def location(self, line: int, column: int) -> Location:
        file_line, file_column = file_position(self.rule, line, column, self.file_lines)
        return Location(self.rule.policy_file, file_line, file_column)

    def detail(self, line: int, column: int, fix: str) -> str:
        where = f"In rule {self.rule.id!r}, CEL line {line}, column {column}:"
        return f"{where}\n{excerpt(self.rule.when, line, column)}\n{fix}"


def _unguarded(context: _RuleContext) -> Iterator[Diagnostic]:
    seen: set[str] = set()
    for read in context.analysis.unguarded_change_reads:
        if read.field in seen:
            continue
        seen.add(read.field)
        yield warning(
            "rule.unguarded-field",
            f"rule {context.rule.id!r} reads request.changes.{read.field} "
            "without checking that the request changes it",
            context.detail(
                read.line,
                read.column,
                f"A request that does not change {read.field} makes the rule fail "
                "at evaluation, and a failing rule sends the request to approval "
                f'(or denies it). Start the rule with "{read.field}" in '
                "request.changes && ...",
            ),
            location=context.location(read.line, read.column),
        )


def _allowed_fields(rule: Rule, workspace: Workspace) -> set[str] | None:
    """Return the fields some object in the rule's scope allows, None if no scope."""
    allowed: set[str] = set()
    in_scope = False
    for connector in workspace.connectors:
        if rule.connectors and connector.name not in rule.connectors:
            continue
        for managed in connector.managed_objects:
            if rule.objects and managed.object_api_name not in rule.objects:
                continue
            in_scope = True
            allowed.update(managed.allowed_fields)
    return allowed if in_scope else None


def _outside_allowlist(
    context: _RuleContext, workspace: Workspace
) -> Iterator[Diagnostic]:
    allowed = _allowed_fields(context.rule, workspace)
    if allowed is None:
        return
    seen: set[str] = set()
    for read in context.analysis.change_reads:
        if read.field in allowed or read.field in seen:
            continue
        seen.add(read.field)
        scope = ", ".join(context.rule.objects) or "any managed object"
        yield warning(
            "rule.field-not-allowed",
            f"rule {context.rule.id!r} reads request.changes.{read.field}, which "
            f"no allowlist in its scope ({scope}) contains",
            context.detail(
                read.line,
                read.column,
                f"The allowlist guard denies any request that changes "
                f"{read.field}, so this part of the rule never sees it. Add "
                f"{read.field} to allowedFields in connectors.yaml, or fix the "
                "field name.",
            ),
            location=context.location(read.line, read.column),
        )


def _int_arithmetic(context: _RuleContext) -> Iterator[Diagnostic]:
    for finding in find_int_arithmetic(tokenize(context.rule.when)):
        yield warning(
            "rule.int-arithmetic",
            f"rule {context.rule.id!r} combines {finding.field} with the int "
            f"{finding.text} in arithmetic, which fails at evaluation",
            context.detail(
                finding.line,
                finding.column,
                "Numbers in requests and records are doubles, and CEL has no "
                f"arithmetic between double and int. Write {_as_double(finding.text)} "
                "instead.",
            ),
            location=context.location(finding.line, finding.column),
        )


def _as_double(text: str) -> str:
    return f"{text}.0" if text.isdigit() else "a double literal such as 2.0"


def _divergences(context: _RuleContext) -> Iterator[Diagnostic]:
    for divergence in find_divergences(context.rule.when):
        yield warning(
            "rule.cel-python-divergence",
            f"rule {context.rule.id!r}: {divergence.message}",
            context.detail(
                divergence.line,
                divergence.column,
                "The workspace uses the cel-python backend (celBackend or "
                "$ACTIONPLANE_CEL_BACKEND). Rewrite the expression, or use "
                "cel-expr-python.",
            ),
            location=context.location(divergence.line, divergence.column),
            extra={"construct": divergence.construct},
        )
