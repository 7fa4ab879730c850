"""Compile every rule of a workspace once, reporting errors at file positions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from actionplane.config.model import Policy, Route, Rule, Workspace
from actionplane.diagnostics import Diagnostic, Location, error
from actionplane.rules.analysis import required_fields
from actionplane.rules.backend import VARIABLES, CelBackend, CelCompileError
from actionplane.rules.decision import TraceEntry, TraceOutcome
from actionplane.rules.positions import excerpt, file_position, read_lines
from actionplane.rules.tokens import Token, TokenKind, tokenize


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A compiled rule with what the engine needs to select and route it.

    `required` lists fields the request must change for the rule to be true
    (see `analysis.required_fields`), `variables` the top-level CEL variables
    the source names, and `error_route` where the request goes when the rule
    fails at evaluation. `matched_entry` is the trace entry of a match.
    """

    rule: Rule
    policy_index: int
    compiled: Any
    required: frozenset[str]
    variables: frozenset[str]
    error_route: Route
    matched_entry: TraceEntry
    # Route ranks stored as ints because enum hashing is slow in the hot path.
    route_rank: int
    error_rank: int


def error_route(policy: Policy) -> Route:
    """Fail closed: require approval, or deny when the policy defaults to deny."""
    if policy.default_route is Route.DENY:
        return Route.DENY
    return Route.REQUIRE_APPROVAL


def compile_rules(
    workspace: Workspace,
    backend: CelBackend,
    file_lines: Mapping[str, list[str]] | None = None,
) -> tuple[list[CompiledRule], list[Diagnostic]]:
    """Compile all rules; return those that compiled and a diagnostic per error.

    `file_lines` maps policy paths to their text, for workspaces loaded from a
    git revision; other policy files are read from the workspace folder.
    """
    compiled: list[CompiledRule] = []
    diagnostics: list[Diagnostic] = []
    for index, policy in enumerate(workspace.policies):
        for rule in policy.rules:
            try:
                handle = backend.compile(rule.id, rule.when)
            except CelCompileError as exc:
                lines = policy_lines(workspace, rule.policy_file, file_lines)
                diagnostics.extend(compile_diagnostics(rule, exc, lines, backend.name))
                continue
            tokens = tokenize(rule.when)
            compiled.append(
                CompiledRule(
                    rule=rule,
                    policy_index=index,
                    compiled=handle,
                    required=required_fields(tokens),
                    variables=_variables(tokens),
                    error_route=error_route(policy),
                    matched_entry=_matched_entry(rule),
                    route_rank=rule.route.rank,
                    error_rank=error_route(policy).rank,
                )
            )
    return compiled, diagnostics


def _variables(tokens: list[Token]) -> frozenset[str]:
    """Return the top-level variables a rule may read.

    A name counts unless it follows `.`, so a comprehension variable that
    shadows `record` only adds `record` needlessly; no read is ever missed.
    """
    return frozenset(
        token.value
        for i, token in enumerate(tokens)
        if token.kind is TokenKind.IDENT
        and token.value in VARIABLES
        and not (i and tokens[i - 1].is_punct("."))
    )


def _matched_entry(rule: Rule) -> TraceEntry:
    return TraceEntry(
        TraceOutcome.MATCHED,
        rule.route,
        rule.message or rule.description or f"rule {rule.id!r} matched",
        rule.id,
        rule.policy_file,
        rule.location.line if rule.location else None,
    )


def policy_lines(
    workspace: Workspace,
    path: str,
    file_lines: Mapping[str, list[str]] | None = None,
) -> list[str] | None:
    if file_lines is not None and path in file_lines:
        return file_lines[path]
    return read_lines(workspace.root, path)


def compile_diagnostics(
    rule: Rule,
    exc: CelCompileError,
    file_lines: list[str] | None,
    backend_name: str,
) -> list[Diagnostic]:
    return [
        error(
            "rule.compile-error",
            f"rule {rule.id!r} does not compile: {problem.message}",
            _detail(rule, problem.line, problem.column, problem.message, backend_name),
            location=_location(rule, problem.line, problem.column, file_lines),
        )
        for problem in exc.problems
    ]


def _location(
    rule: Rule, line: int, column: int, file_lines: list[str] | None
) -> Location:
    file_line, file_column = file_position(rule, line, column, file_lines)
    return Location(rule.policy_file, file_line, file_column)


def _detail(rule: Rule, line: int, column: int, message: str, backend: str) -> str:
    snippet = excerpt(rule.when, line, column)
    where = f"In rule {rule.id!r}, CEL line {line}, column {column} ({backend}):"
    return f"{where}\n{snippet}\n{_fix(message)}"


def _fix(message: str) -> str:
    if "undeclared reference" in message:
        return (
            "Check the spelling: rules can read request, record, connector, now "
            "and today, and call CEL's standard functions."
        )
    if "no matching overload" in message:
        return (
            "Make both operands the same type, for example compare a double with "
            "100000.0 rather than 100000, or convert with double() or string()."
        )
    if message.startswith("Syntax error"):
        return (
            "Fix the syntax at the caret; write the rule as a block scalar (`when: |`)."
        )
    if "must return bool" in message:
        return "Make the rule a condition, for example by adding a comparison."
    return "Fix the CEL expression, then run `actionplane validate` again."
