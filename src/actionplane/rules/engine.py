"""Decide the route of a request with a workspace's compiled rules.

How a request is decided:

1. The allowlist guard runs first. An unknown connector, an object the connector
   does not manage, or any changed field outside that object's
   `allowedFields` denies the request before any rule runs.
2. Rules whose selectors (`object`, `connector`, `actorKinds`) fit the request
   are evaluated, all against one activation. Rules whose required fields (see
   `analysis.required_fields`) the request does not change cannot be true, so
   they are skipped without evaluation.
3. Every matched rule contributes its route. A rule that fails at evaluation
   contributes require_approval, or deny when its policy's defaultRoute is deny,
   and its error goes into the trace. Each policy none of whose rules matched
   contributes its defaultRoute, even when its rules are about other objects.
   The decided route is the most restrictive contribution
   (deny > require_approval > allow). A workspace without policies denies.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from actionplane.config.model import ActorKind, Route, Workspace
from actionplane.diagnostics import has_errors
from actionplane.errors import RuleError
from actionplane.rules.backend import CelBackend, RuleResult, get_backend
from actionplane.rules.compiler import CompiledRule, compile_rules
from actionplane.rules.decision import Decision, TraceEntry, TraceOutcome
from actionplane.rules.guard import AllowlistGuard, GuardResult
from actionplane.rules.normalize import record_values

_ACTOR_KINDS = frozenset(kind.value for kind in ActorKind)
_BY_RANK = sorted(Route, key=lambda route: route.rank)
_NO_POLICY = TraceEntry(
    TraceOutcome.DEFAULT,
    Route.DENY,
    "the workspace has no policy, so nothing allows the change; "
    "add a file under policies/ with a defaultRoute",
)


class _Selection:
    """The rules whose selectors fit one (connector, object, actor kind)."""

    __slots__ = ("rules", "variables")

    def __init__(self, rules: tuple[CompiledRule, ...]) -> None:
        self.rules = rules
        self.variables = frozenset().union(*(c.variables for c in rules))


class RuleSet:
    """All rules of a workspace, compiled once at construction.

    Raise RuleError, with one diagnostic per problem, when a rule does not
    compile. `backend` is a backend, a backend name, or None to use
    `$ACTIONPLANE_CEL_BACKEND` or the workspace's `celBackend`.
    """

    def __init__(
        self, workspace: Workspace, backend: CelBackend | str | None = None
    ) -> None:
        if not isinstance(backend, CelBackend):
            backend = get_backend(backend, workspace.cel_backend)
        self.workspace = workspace
        self.backend = backend
        compiled, diagnostics = compile_rules(workspace, backend)
        if has_errors(diagnostics):
            raise RuleError(
                f"{len(diagnostics)} rule compile error(s); fix the rules listed "
                "above and run `actionplane validate` again",
                diagnostics=diagnostics,
            )
        self.rules = compiled
        self._guard = AllowlistGuard(workspace)
        self._defaults = [
            (index, policy.default_route.rank, _default_entry(policy))
            for index, policy in enumerate(workspace.policies)
        ]
        self._selections: dict[tuple[str, str, str], _Selection] = {}

    def candidates(
        self, connector: str, object_name: str, actor_kind: str
    ) -> tuple[CompiledRule, ...]:
        """Return the rules whose selectors fit, in workspace order."""
        return self._select(connector, object_name, actor_kind).rules

    def _select(self, connector: str, object_name: str, actor_kind: str) -> _Selection:
        # Keys are bounded: the guard admits only configured connectors and
        # objects, and unknown actor kinds become "".
        key = (connector, object_name, actor_kind)
        selection = self._selections.get(key)
        if selection is None:
            fitting = tuple(c for c in self.rules if c.rule.applies_to(*key))
            selection = self._selections[key] = _Selection(fitting)
        return selection

    def decide(
        self,
        request: Mapping[str, Any],
        *,
        record: Mapping[str, Any] | None = None,
        now: datetime | None = None,
        connector_values: Mapping[str, Any] | None = None,
    ) -> Decision:
        """Decide the route of `request`; see the module docstring for how.

        `record` contains the record's current values, `now` defaults to the
        current time, and `connector_values` overrides keys of the `connector`
        variable (rule tests use it to try `isSandbox: false`).
        """
        guard = self._guard.check(request)
        if guard.denied:
            return self._decision(Route.DENY, [guard.entry], guard, [])
        assert guard.connector is not None and guard.object_name is not None
        selection = self._select(
            guard.connector.name, guard.object_name, _actor_kind(request)
        )
        changed = request["changes"].keys()
        runnable = [c for c in selection.rules if c.required <= changed]
        results = self._evaluate(
            runnable, selection, request, guard, record, now, connector_values
        )
        return self._route(guard, runnable, results)

    def _evaluate(
        self,
        runnable: list[CompiledRule],
        selection: _Selection,
        request: Mapping[str, Any],
        guard: GuardResult,
        record: Mapping[str, Any] | None,
        now: datetime | None,
        connector_values: Mapping[str, Any] | None,
    ) -> list[RuleResult]:
        if not runnable:
            return []
        assert guard.connector is not None
        connector: dict[str, Any] = {
            "name": guard.connector.name,
            "isSandbox": guard.connector.is_sandbox,
        }
        if connector_values:
            connector.update(connector_values)
        used = selection.variables
        activation = self.backend.activation(
            request={**request, "connector": guard.connector.name},
            record=record_values(record) if "record" in used else {},
            connector=connector,
            now=now or datetime.now(UTC),
            include=used,
        )
        return self.backend.evaluate([c.compiled for c in runnable], activation)

    def _route(
        self,
        guard: GuardResult,
        runnable: list[CompiledRule],
        results: list[RuleResult],
    ) -> Decision:
        entries = [guard.entry]
        rank = -1
        matched_policies = set()
        matched = []
        for compiled, result in zip(runnable, results, strict=True):
            if result is False:
                continue
            if result is True:
                entries.append(compiled.matched_entry)
                rank = max(rank, compiled.route_rank)
                matched_policies.add(compiled.policy_index)
                matched.append(compiled)
            else:
                entries.append(_error_entry(compiled, result))
                rank = max(rank, compiled.error_rank)
        for index, default_rank, default_entry in self._defaults:
            if index not in matched_policies:
                entries.append(default_entry)
                rank = max(rank, default_rank)
        if not self._defaults:
            entries.append(_NO_POLICY)
            rank = Route.DENY.rank
        return self._decision(_BY_RANK[rank], entries, guard, matched)

    def _decision(
        self,
        route: Route,
        entries: list[TraceEntry],
        guard: GuardResult,
        matched: list[CompiledRule],
    ) -> Decision:
        approvers: dict[str, None] = {}
        required = 0
        if route is Route.REQUIRE_APPROVAL:
            for compiled in matched:
                rule = compiled.rule
                if rule.route is Route.REQUIRE_APPROVAL:
                    approvers.update(dict.fromkeys(rule.approvers))
                    required = max(required, rule.required_approvals)
            required = max(required, 1)
        return Decision(
            route=route,
            trace=tuple(entries),
            approvers=tuple(approvers),
            required_approvals=required,
            backend=self.backend.name,
            connector=guard.connector.name if guard.connector else None,
            object_name=guard.object_name,
        )


def _actor_kind(request: Mapping[str, Any]) -> str:
    """Return the actor kind, or "" when missing or unknown.

    With "", rules limited by `actorKinds` do not apply.
    """
    actor = request.get("actor")
    if type(actor) is not dict and not isinstance(actor, Mapping):
        return ""
    kind = actor.get("kind")
    return kind if kind in _ACTOR_KINDS else ""


def _default_entry(policy: Any) -> TraceEntry:
    return TraceEntry(
        TraceOutcome.DEFAULT,
        policy.default_route,
        f"no rule of {policy.path} matched; its default route is "
        f"{policy.default_route.value}",
        policy_file=policy.path,
        line=policy.location.line if policy.location else None,
    )


def _error_entry(compiled: CompiledRule, error_text: str) -> TraceEntry:
    rule = compiled.rule
    return TraceEntry(
        TraceOutcome.ERROR,
        compiled.error_route,
        f"rule {rule.id!r} failed at evaluation, so the request goes to "
        f"{compiled.error_route.value}; {_error_hint(error_text)}",
        rule.id,
        rule.policy_file,
        rule.location.line if rule.location else None,
        error=error_text,
    )


def _error_hint(error_text: str) -> str:
    lowered = error_text.lower()
    if "key not found" in lowered or "no such member" in lowered:
        return 'guard the field with `has()` or `"Field" in request.changes`'
    return "fix the rule or the data it reads"
