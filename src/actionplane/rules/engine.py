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

from actionplane.config.model import ActorKind, Route, Workspace, most_restrictive
from actionplane.diagnostics import has_errors
from actionplane.errors import RuleError
from actionplane.rules.backend import CelBackend, RuleResult, get_backend
from actionplane.rules.compiler import CompiledRule, compile_rules
from actionplane.rules.decision import Decision, TraceEntry, TraceOutcome
from actionplane.rules.guard import GuardResult, check_allowlist
from actionplane.rules.normalize import record_values

_ACTOR_KINDS = frozenset(kind.value for kind in ActorKind)


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
        self._selected: dict[tuple[str, str, str], tuple[CompiledRule, ...]] = {}

    def candidates(
        self, connector: str, object_name: str, actor_kind: str
    ) -> tuple[CompiledRule, ...]:
        """Return the rules whose selectors fit, in workspace order (cached)."""
        key = (connector, object_name, actor_kind)
        selected = self._selected.get(key)
        if selected is None:
            selected = tuple(c for c in self.rules if c.rule.applies_to(*key))
            self._selected[key] = selected
        return selected

    def decide(
        self,
        request: Mapping[str, Any],
        *,
        record: Mapping[str, Any] | None = None,
        now: datetime | None = None,
        connector_values: Mapping[str, Any] | None = None,
    ) -> Decision:
        """Decide the route of `request`; see the module docstring for how.

        `record` holds the record's current values, `now` defaults to the
        current time, and `connector_values` overrides keys of the `connector`
        variable (rule tests use it to try `isSandbox: false`).
        """
        guard = check_allowlist(self.workspace, request)
        if guard.denied:
            return self._decision(Route.DENY, [guard.entry], guard)
        assert guard.connector is not None and guard.object_name is not None
        changed = set(request["changes"])
        selected = self.candidates(
            guard.connector.name, guard.object_name, _actor_kind(request)
        )
        runnable = [c for c in selected if c.required <= changed]
        results = self._evaluate(
            runnable, request, guard, record, now, connector_values
        )
        entries = [guard.entry]
        routes = self._rule_routes(runnable, results, entries)
        routes += self._default_routes(runnable, results, entries)
        return self._decision(
            most_restrictive(routes), entries, guard, runnable, results
        )

    def _evaluate(
        self,
        runnable: list[CompiledRule],
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
        activation = self.backend.activation(
            request={**request, "connector": guard.connector.name},
            record=record_values(record),
            connector=connector,
            now=now or datetime.now(UTC),
        )
        return self.backend.evaluate([c.compiled for c in runnable], activation)

    def _rule_routes(
        self,
        runnable: list[CompiledRule],
        results: list[RuleResult],
        entries: list[TraceEntry],
    ) -> list[Route]:
        routes = []
        for compiled, result in zip(runnable, results, strict=True):
            if result is False:
                continue
            entry = _rule_entry(compiled, result)
            entries.append(entry)
            routes.append(entry.route)
        return routes

    def _default_routes(
        self,
        runnable: list[CompiledRule],
        results: list[RuleResult],
        entries: list[TraceEntry],
    ) -> list[Route]:
        matched = {
            c.policy_index for c, r in zip(runnable, results, strict=True) if r is True
        }
        routes = []
        for index, policy in enumerate(self.workspace.policies):
            if index in matched:
                continue
            routes.append(policy.default_route)
            entries.append(
                TraceEntry(
                    TraceOutcome.DEFAULT,
                    policy.default_route,
                    f"no rule of {policy.path} matched; its default route is "
                    f"{policy.default_route.value}",
                    policy_file=policy.path,
                    line=policy.location.line if policy.location else None,
                )
            )
        if not self.workspace.policies:
            routes.append(Route.DENY)
            entries.append(
                TraceEntry(
                    TraceOutcome.DEFAULT,
                    Route.DENY,
                    "the workspace has no policy, so nothing allows the change; "
                    "add a file under policies/ with a defaultRoute",
                )
            )
        return routes

    def _decision(
        self,
        route: Route,
        entries: list[TraceEntry],
        guard: GuardResult,
        runnable: list[CompiledRule] | None = None,
        results: list[RuleResult] | None = None,
    ) -> Decision:
        approvers: dict[str, None] = {}
        required = 0
        if route is Route.REQUIRE_APPROVAL:
            for compiled, result in zip(runnable or [], results or [], strict=True):
                rule = compiled.rule
                if result is True and rule.route is Route.REQUIRE_APPROVAL:
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
    kind = actor.get("kind") if isinstance(actor, Mapping) else None
    return kind if kind in _ACTOR_KINDS else ""


def _rule_entry(compiled: CompiledRule, result: RuleResult) -> TraceEntry:
    rule = compiled.rule
    line = rule.location.line if rule.location else None
    if result is True:
        message = rule.message or rule.description or f"rule {rule.id!r} matched"
        return TraceEntry(
            TraceOutcome.MATCHED, rule.route, message, rule.id, rule.policy_file, line
        )
    return TraceEntry(
        TraceOutcome.ERROR,
        compiled.error_route,
        f"rule {rule.id!r} failed at evaluation, so the request goes to "
        f"{compiled.error_route.value}; {_error_hint(str(result))}",
        rule.id,
        rule.policy_file,
        line,
        error=str(result),
    )


def _error_hint(error_text: str) -> str:
    lowered = error_text.lower()
    if "key not found" in lowered or "no such member" in lowered:
        return 'guard the field with `has()` or `"Field" in request.changes`'
    return "fix the rule or the data it reads"
