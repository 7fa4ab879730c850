"""The result of deciding one request: its route and the trace that explains it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from actionplane.config.model import Route

DECISION_FORMAT_VERSION = "1"


class TraceOutcome(enum.StrEnum):
    MATCHED = "matched"
    ERROR = "error"
    DEFAULT = "default"
    ALLOWLIST = "allowlist"


_MESSAGE_ORDER = {
    TraceOutcome.MATCHED: 0,
    TraceOutcome.ERROR: 1,
    TraceOutcome.ALLOWLIST: 2,
    TraceOutcome.DEFAULT: 3,
}


@dataclass(frozen=True, slots=True)
class TraceEntry:
    """One reason in a decision.

    A matched or errored rule names its id, policy file and line. A default
    entry names the policy whose default route applied. The allowlist entry
    names connectors.yaml and states whether the changed fields passed.
    """

    outcome: TraceOutcome
    route: Route
    message: str
    rule_id: str | None = None
    policy_file: str | None = None
    line: int | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "route": self.route.value,
            "rule_id": self.rule_id,
            "policy_file": self.policy_file,
            "line": self.line,
            "message": self.message,
            "error": self.error,
        }


@dataclass(frozen=True)
class Decision:
    """The route of one request, who may approve it, and why.

    `approvers` and `required_approvals` come from the matched rules that
    route to require_approval; both are empty (0) unless the route is
    require_approval.
    """

    route: Route
    trace: tuple[TraceEntry, ...]
    approvers: tuple[str, ...]
    required_approvals: int
    backend: str
    connector: str | None = None
    object_name: str | None = None

    @property
    def matched_rules(self) -> tuple[str, ...]:
        return self._rule_ids(TraceOutcome.MATCHED)

    @property
    def errored_rules(self) -> tuple[str, ...]:
        return self._rule_ids(TraceOutcome.ERROR)

    def _rule_ids(self, outcome: TraceOutcome) -> tuple[str, ...]:
        return tuple(
            entry.rule_id
            for entry in self.trace
            if entry.outcome is outcome and entry.rule_id is not None
        )

    @property
    def messages(self) -> tuple[str, ...]:
        """Messages of the trace entries whose route is the decided route.

        Matched rules come first, then errors, the allowlist and defaults.
        """
        entries = sorted(
            (e for e in self.trace if e.route is self.route and e.message),
            key=lambda e: _MESSAGE_ORDER[e.outcome],
        )
        return tuple(dict.fromkeys(e.message for e in entries))

    @property
    def message(self) -> str:
        return self.messages[0] if self.messages else ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": DECISION_FORMAT_VERSION,
            "route": self.route.value,
            "connector": self.connector,
            "object": self.object_name,
            "matched_rules": list(self.matched_rules),
            "errored_rules": list(self.errored_rules),
            "approvers": list(self.approvers),
            "required_approvals": self.required_approvals,
            "message": self.message,
            "backend": self.backend,
            "trace": [entry.to_dict() for entry in self.trace],
        }
