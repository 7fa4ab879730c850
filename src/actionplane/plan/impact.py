"""Policy impact: replay requests under the old and the new rules and compare.

Requests come from replay sources: the rule tests of both versions, runs the
state store recorded, and probe requests generated per allowlisted field from
its picklist stored values and the literals rules compare it with (each
literal, just below it and just above it). A decision that moves is reported
as newly allowed, newly needing approval or newly denied.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from actionplane.config.model import ActorKind, Route, Rule, Workspace
from actionplane.metadata.snapshot import Snapshot
from actionplane.rules.analysis import RuleAnalysis, analyze

MAX_EXAMPLES = 5
CATEGORIES = {
    Route.ALLOW: "newly_allowed",
    Route.REQUIRE_APPROVAL: "newly_requires_approval",
    Route.DENY: "newly_denied",
}


@dataclass(frozen=True)
class ReplayRequest:
    source: str  # "rule-test", "recorded-run" or "probe"
    label: str
    request: dict[str, Any]
    record: dict[str, Any] | None = None
    now: str | None = None


class ReplaySource(Protocol):
    """Anything that yields requests to replay, such as recorded runs."""

    name: str

    def requests(self) -> Iterable[ReplayRequest]: ...


Decide = Callable[[ReplayRequest], tuple[Route, list[str]]]


@dataclass
class ImpactExample:
    label: str
    source: str
    request: dict[str, Any]
    before: str | None
    after: str
    rules: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "source": self.source,
            "request": self.request,
            "before": self.before,
            "after": self.after,
            "rules": self.rules,
        }


@dataclass
class Impact:
    replayed: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(CATEGORIES.values(), 0)
    )
    examples: dict[str, list[ImpactExample]] = field(
        default_factory=lambda: {name: [] for name in CATEGORIES.values()}
    )
    after_mix: dict[str, int] = field(
        default_factory=lambda: {r.value: 0 for r in Route}
    )
    # Moved decisions per rule id and category, counted for the rules that
    # caused each move (see `causing_rules`).
    by_rule: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def total_replayed(self) -> int:
        return sum(self.replayed.values())

    @property
    def moved(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "replayed": dict(self.replayed),
            "counts": dict(self.counts),
            "decision_mix": dict(self.after_mix),
            "examples": {k: [e.to_dict() for e in v] for k, v in self.examples.items()},
            "by_rule": {k: dict(v) for k, v in self.by_rule.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Impact:
        impact = cls(replayed=dict(data["replayed"]), counts=dict(data["counts"]))
        impact.after_mix = dict(data.get("decision_mix") or impact.after_mix)
        impact.examples = {
            k: [ImpactExample(**e) for e in v] for k, v in data["examples"].items()
        }
        impact.by_rule = {k: dict(v) for k, v in (data.get("by_rule") or {}).items()}
        return impact


def replay(
    sources: Iterable[ReplaySource],
    decide_old: Decide | None,
    decide_new: Decide,
    rule_routes: Mapping[str, Route] | None = None,
) -> Impact:
    """Decide every request under both rule sets and tally the moves.

    With no old rule set (nothing applied yet), every request counts as moved
    from nothing to its new route, and no move is counted per rule.
    `rule_routes` maps the new rules' ids to their routes, which the count per
    rule needs.
    """
    impact = Impact()
    for source in sources:
        for item in source.requests():
            impact.replayed[item.source] = impact.replayed.get(item.source, 0) + 1
            after, rules = decide_new(item)
            impact.after_mix[after.value] += 1
            before, old_rules = decide_old(item) if decide_old else (None, [])
            if before == after:
                continue
            category = CATEGORIES[after]
            impact.counts[category] += 1
            if before is not None and rule_routes is not None:
                for rule_id in causing_rules(after, rules, old_rules, rule_routes):
                    tally = impact.by_rule.setdefault(rule_id, {})
                    tally[category] = tally.get(category, 0) + 1
            if len(impact.examples[category]) < MAX_EXAMPLES:
                impact.examples[category].append(
                    ImpactExample(
                        item.label,
                        item.source,
                        item.request,
                        before.value if before else None,
                        after.value,
                        rules,
                    )
                )
    return impact


def causing_rules(
    after: Route,
    new_rules: list[str],
    old_rules: list[str],
    rule_routes: Mapping[str, Route],
) -> list[str]:
    """Return the rules that caused a decision to move to `after`.

    These are the new matched rules whose route is `after`, and the rules that
    matched before but no longer match.
    """
    deciding = [r for r in new_rules if rule_routes.get(r) is after]
    dropped = [r for r in old_rules if r not in new_rules]
    return deciding + dropped


@dataclass
class RuleTestSource:
    """The rule tests of both versions, each replayed once."""

    workspaces: list[Workspace]
    name: str = "rule-test"

    def requests(self) -> Iterator[ReplayRequest]:
        seen: set[str] = set()
        for workspace in self.workspaces:
            for test in workspace.tests:
                label = f"{test.policy_file}: {test.name}"
                if label in seen:
                    continue
                seen.add(label)
                yield ReplayRequest(
                    "rule-test", label, test.request, test.record, test.now
                )


@dataclass
class ProbeSource:
    """Probe requests for every allowlisted field of every connector."""

    workspaces: list[Workspace]
    snapshots: dict[str, Snapshot]
    name: str = "probe"

    def requests(self) -> Iterator[ReplayRequest]:
        """Yield probes for each allowlisted field F and each probe value v.

        Every F changes to v. When a rule reads F's `before` or record value, F
        also changes away from v, which is the record's value. A rule that
        compares a record field with a literal, such as
        `record.Amount > 100000.0`, gets a change to each field it tests while
        the record has the literal or a neighbour of it.
        """
        literals = _literals_by_field(self.workspaces)
        fields = _allowlisted(self.workspaces)
        values = {key: self._values(key, literals) for key in fields}
        rules = _rules(self.workspaces)
        read_before = _fields_read_before(rules)
        for connector, obj, name in fields:
            own = values[(connector, obj, name)]
            for value in own:
                yield from self._probe(
                    connector, obj, {name: {"before": None, "after": value}}, None
                )
                if name not in read_before:
                    continue
                other = next((v for v in own if v != value), None)
                yield from self._probe(
                    connector,
                    obj,
                    {name: {"before": value, "after": other}},
                    {name: value},
                )
        for rule, analysis in rules:
            record_fields = {read.field for read in analysis.record_reads}
            record_values = _unique(
                (c.field, v)
                for c in analysis.comparisons
                if c.field in record_fields
                for v in _neighbours(c.value)
            )
            if not record_values:
                continue
            for connector, obj, name in fields:
                if name not in analysis.changed_fields or not _selects(
                    rule, connector, obj
                ):
                    continue
                after = values[(connector, obj, name)][0]
                for field_name, value in record_values:
                    yield from self._probe(
                        connector,
                        obj,
                        {name: {"before": None, "after": after}},
                        {field_name: value},
                    )

    def _values(
        self, key: tuple[str, str, str], literals: dict[str, list[Any]]
    ) -> list[Any]:
        connector, obj, name = key
        snapshot = self.snapshots.get(connector)
        entry = snapshot.field(obj, name) if snapshot is not None else None
        return probe_values(entry, literals.get(name, []))

    def _probe(
        self,
        connector: str,
        obj: str,
        changes: dict[str, dict[str, Any]],
        record: dict[str, Any] | None,
    ) -> Iterator[ReplayRequest]:
        description = ", ".join(
            f"{name} {_as_json(change['before'])} -> {_as_json(change['after'])}"
            for name, change in changes.items()
        )
        if record:
            description += " with record " + ", ".join(
                f"{name}={_as_json(value)}" for name, value in record.items()
            )
        for kind in ActorKind:
            request = {
                "connector": connector,
                "object": obj,
                "recordId": "probe",
                "changes": changes,
                "actor": {
                    "id": f"probe-{kind.value}",
                    "kind": kind.value,
                    "groups": [],
                },
            }
            label = f"{obj}: {description} by {kind.value}"
            yield ReplayRequest("probe", label, request, record=record)


def _as_json(value: Any) -> str:
    """Write a probe value as it would appear in JSON: null, 100000.0, "Closed Won"."""
    return json.dumps(value, ensure_ascii=False)


def _rules(workspaces: list[Workspace]) -> list[tuple[Rule, RuleAnalysis]]:
    """Return each distinct rule of the workspaces with its analysis."""
    seen: dict[tuple[str, str], tuple[Rule, RuleAnalysis]] = {}
    for workspace in workspaces:
        for rule in workspace.rules:
            seen.setdefault((rule.id, rule.when), (rule, analyze(rule.when)))
    return list(seen.values())


def _fields_read_before(rules: list[tuple[Rule, RuleAnalysis]]) -> set[str]:
    """Return fields whose earlier value some rule reads, through `before` or
    `record`."""
    found: set[str] = set()
    for rule, analysis in rules:
        found.update(read.field for read in analysis.record_reads)
        for name in analysis.changed_fields:
            if re.search(
                rf"""\b{re.escape(name)}["']?\]?\s*\.\s*before\b""", rule.when
            ):
                found.add(name)
    return found


def _selects(rule: Rule, connector: str, obj: str) -> bool:
    return (not rule.objects or obj in rule.objects) and (
        not rule.connectors or connector in rule.connectors
    )


def _allowlisted(workspaces: list[Workspace]) -> list[tuple[str, str, str]]:
    found: set[tuple[str, str, str]] = set()
    for workspace in workspaces:
        for connector in workspace.connectors:
            for obj in connector.managed_objects:
                for name in obj.allowed_fields:
                    found.add((connector.name, obj.object_api_name, name))
    return sorted(found)


def _literals_by_field(workspaces: list[Workspace]) -> dict[str, list[Any]]:
    result: dict[str, list[Any]] = {}
    for workspace in workspaces:
        for rule in workspace.rules:
            for comparison in analyze(rule.when).comparisons:
                if comparison.kind in ("int", "uint", "double", "string"):
                    result.setdefault(comparison.field, []).append(comparison.value)
    return result


def probe_values(entry: dict[str, Any] | None, literals: list[Any]) -> list[Any]:
    """Return probe values: picklist stored values, then each literal and its
    neighbours (numbers plus and minus one, dates plus and minus a day)."""
    values: list[Any] = []
    if entry is not None:
        values.extend(item["value"] for item in entry.get("picklist") or [])
    for literal in literals:
        values.extend(_neighbours(literal))
    if not values:
        values.append(_placeholder(entry))
    return _unique(values)


def _unique(values: Iterable[Any]) -> list[Any]:
    """Return `values` without repeats; 1 and 1.0 count as different."""
    unique: list[Any] = []
    for value in values:
        if not any(type(value) is type(u) and value == u for u in unique):
            unique.append(value)
    return unique


def _neighbours(literal: Any) -> list[Any]:
    if isinstance(literal, bool):
        return [literal]
    if isinstance(literal, int | float):
        return [literal - 1, literal, literal + 1]
    if isinstance(literal, str):
        try:
            day = date.fromisoformat(literal)
        except ValueError:
            return [literal]
        step = timedelta(days=1)
        return [(day - step).isoformat(), literal, (day + step).isoformat()]
    return [literal]


def _placeholder(entry: dict[str, Any] | None) -> Any:
    data_type = (entry or {}).get("dataType", "text")
    if data_type in ("integer", "bigint", "double", "currency", "percent"):
        return 1
    if data_type == "date":
        return date.today().isoformat()
    if data_type == "boolean":
        return True
    return "probe"
