"""Benchmark rule decisions: 50 rules, 10,000 varied requests, both CEL backends.

The same 50 rules exist twice: as CEL for `RuleSet.decide` and as hand-written
Python predicates with the same decision procedure (allowlist guard, selectors,
per-policy default routes, fail-closed errors). Every CEL decision is checked
against the Python one before anything is timed.

Run from the repository root:

    python benchmarks/bench_rules.py [--requests 10000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from actionplane.config.model import (
    Connector,
    ManagedObject,
    Policy,
    Route,
    Rule,
    Workspace,
    most_restrictive,
)
from actionplane.rules.backend import VARIABLES, CelBackend, RuleResult
from actionplane.rules.engine import RuleSet

ALLOWED = {
    "Deals": ("Stage", "Amount", "Closing_Date", "Next_Step", "Description"),
    "Accounts": ("Phone", "Website", "Description", "Industry"),
    "Contacts": ("Title", "Phone", "Email", "Description"),
}
NOW = datetime(2025, 7, 1, 9, tzinfo=UTC)
TODAY = "2025-07-01"

Row = dict[str, Any]
# A rule in Python: (changes, actor, record, connector) -> matched.
Predicate = Callable[[Row, Row, Row, Row], bool]


@dataclass(frozen=True)
class Spec:
    """One rule, as CEL source and as a Python predicate."""

    object_name: str
    route: str
    cel: str
    python: Predicate
    actor_kinds: tuple[str, ...] = ()


def amount_above(limit: float) -> tuple[str, Predicate]:
    cel = (
        f'"Amount" in request.changes && request.changes.Amount.after != null'
        f" && request.changes.Amount.after > {limit}"
    )

    def python(changes: Row, actor: Row, record: Row, connector: Row) -> bool:
        return (
            "Amount" in changes
            and changes["Amount"]["after"] is not None
            and changes["Amount"]["after"] > limit
        )

    return cel, python


def amount_cut(ratio: float) -> tuple[str, Predicate]:
    cel = (
        '"Amount" in request.changes && request.changes.Amount.before != null'
        " && request.changes.Amount.after != null"
        f" && request.changes.Amount.after < request.changes.Amount.before * {ratio}"
    )

    def python(changes: Row, actor: Row, record: Row, connector: Row) -> bool:
        if "Amount" not in changes:
            return False
        before, after = changes["Amount"]["before"], changes["Amount"]["after"]
        return before is not None and after is not None and after < before * ratio

    return cel, python


def becomes(field: str, values: tuple[str, ...]) -> tuple[str, Predicate]:
    listed = ", ".join(f'"{v}"' for v in values)
    cel = f'"{field}" in request.changes && request.changes.{field}.after in [{listed}]'

    def python(changes: Row, actor: Row, record: Row, connector: Row) -> bool:
        return field in changes and changes[field]["after"] in values

    return cel, python


def cleared(field: str) -> tuple[str, Predicate]:
    cel = (
        f'"{field}" in request.changes'
        f' && (request.changes.{field}.after == null || request.changes.{field}.after == "")'
    )

    def python(changes: Row, actor: Row, record: Row, connector: Row) -> bool:
        return field in changes and changes[field]["after"] in (None, "")

    return cel, python


def date_in_past(field: str) -> tuple[str, Predicate]:
    cel = (
        f'"{field}" in request.changes && request.changes.{field}.after != null'
        f" && request.changes.{field}.after < today"
    )

    def python(changes: Row, actor: Row, record: Row, connector: Row) -> bool:
        return (
            field in changes
            and changes[field]["after"] is not None
            and changes[field]["after"] < TODAY
        )

    return cel, python


def longer_than(field: str, length: int) -> tuple[str, Predicate]:
    cel = (
        f"has(request.changes.{field}) && request.changes.{field}.after != null"
        f" && size(request.changes.{field}.after) > {length}"
    )

    def python(changes: Row, actor: Row, record: Row, connector: Row) -> bool:
        return (
            field in changes
            and changes[field]["after"] is not None
            and len(changes[field]["after"]) > length
        )

    return cel, python


def contains(field: str, text: str) -> tuple[str, Predicate]:
    cel = (
        f'"{field}" in request.changes && request.changes.{field}.after != null'
        f' && request.changes.{field}.after.contains("{text}")'
    )

    def python(changes: Row, actor: Row, record: Row, connector: Row) -> bool:
        return (
            field in changes
            and changes[field]["after"] is not None
            and text in changes[field]["after"]
        )

    return cel, python


def insecure_website() -> tuple[str, Predicate]:
    cel = (
        '"Website" in request.changes && request.changes.Website.after != null'
        ' && !request.changes.Website.after.startsWith("https://")'
    )

    def python(changes: Row, actor: Row, record: Row, connector: Row) -> bool:
        return (
            "Website" in changes
            and changes["Website"]["after"] is not None
            and not changes["Website"]["after"].startswith("https://")
        )

    return cel, python


def outside_group(field: str, group: str) -> tuple[str, Predicate]:
    cel = (
        f'"{field}" in request.changes'
        f' && !request.actor.groups.exists(g, g == "{group}")'
    )

    def python(changes: Row, actor: Row, record: Row, connector: Row) -> bool:
        return field in changes and group not in actor["groups"]

    return cel, python


def many_fields(count: int) -> tuple[str, Predicate]:
    cel = f"size(request.changes) > {count}"

    def python(changes: Row, actor: Row, record: Row, connector: Row) -> bool:
        return len(changes) > count

    return cel, python


def record_stage(field: str, stage: str) -> tuple[str, Predicate]:
    cel = (
        f'"{field}" in request.changes && has(record.Stage)'
        f' && record.Stage == "{stage}"'
    )

    def python(changes: Row, actor: Row, record: Row, connector: Row) -> bool:
        return field in changes and record.get("Stage") == stage

    return cel, python


def production(field: str) -> tuple[str, Predicate]:
    cel = f'"{field}" in request.changes && !connector.isSandbox'

    def python(changes: Row, actor: Row, record: Row, connector: Row) -> bool:
        return field in changes and not connector["isSandbox"]

    return cel, python


def spec(
    object_name: str, route: str, pair: tuple[str, Predicate], *kinds: str
) -> Spec:
    return Spec(object_name, route, pair[0], pair[1], tuple(kinds))


SPECS = [
    # Deals: 24 rules.
    *(
        spec("Deals", r, amount_above(t))
        for t, r in (
            (50000.0, "allow"),
            (100000.0, "require_approval"),
            (250000.0, "require_approval"),
            (500000.0, "require_approval"),
            (1000000.0, "deny"),
        )
    ),
    *(
        spec("Deals", "require_approval", amount_above(t), "agent")
        for t in (20000.0, 75000.0)
    ),
    spec("Deals", "require_approval", amount_cut(0.5)),
    spec("Deals", "deny", amount_cut(0.1), "agent"),
    spec("Deals", "require_approval", becomes("Stage", ("Closed Won",)), "agent"),
    spec(
        "Deals",
        "deny",
        becomes("Stage", ("Closed Lost", "Closed Lost to Competition")),
        "agent",
    ),
    spec("Deals", "require_approval", becomes("Stage", ("Closed Lost",)), "service"),
    spec("Deals", "allow", becomes("Stage", ("Qualification", "Needs Analysis"))),
    spec("Deals", "deny", date_in_past("Closing_Date")),
    spec("Deals", "require_approval", date_in_past("Closing_Date"), "agent"),
    spec("Deals", "require_approval", cleared("Next_Step"), "agent"),
    spec("Deals", "require_approval", longer_than("Description", 200)),
    spec("Deals", "require_approval", contains("Description", "discount")),
    spec("Deals", "require_approval", outside_group("Amount", "revops-leads"), "human"),
    spec("Deals", "require_approval", many_fields(3)),
    spec("Deals", "deny", record_stage("Amount", "Closed Won")),
    spec("Deals", "require_approval", record_stage("Stage", "Closed Lost")),
    spec("Deals", "require_approval", production("Stage")),
    spec("Deals", "deny", production("Amount"), "agent"),
    # Accounts: 13 rules.
    spec("Accounts", "require_approval", cleared("Phone")),
    spec("Accounts", "deny", cleared("Phone"), "agent"),
    spec("Accounts", "require_approval", insecure_website()),
    spec("Accounts", "require_approval", contains("Website", "example")),
    spec(
        "Accounts", "require_approval", becomes("Industry", ("Government", "Defense"))
    ),
    spec("Accounts", "deny", becomes("Industry", ("Sanctioned",))),
    spec("Accounts", "require_approval", longer_than("Description", 500)),
    spec("Accounts", "allow", longer_than("Description", 10), "human"),
    spec("Accounts", "require_approval", outside_group("Website", "data-stewards")),
    spec("Accounts", "require_approval", many_fields(2), "agent"),
    spec("Accounts", "require_approval", production("Industry")),
    spec("Accounts", "deny", production("Phone"), "service"),
    spec("Accounts", "require_approval", contains("Description", "confidential")),
    # Contacts: 13 rules.
    spec("Contacts", "deny", cleared("Phone"), "agent"),
    spec("Contacts", "require_approval", cleared("Email")),
    spec("Contacts", "require_approval", contains("Title", "Chief")),
    spec("Contacts", "require_approval", contains("Email", "@gmail.")),
    spec("Contacts", "deny", contains("Email", "@mailinator."), "agent"),
    spec("Contacts", "require_approval", becomes("Title", ("CEO", "CFO", "CTO"))),
    spec("Contacts", "require_approval", longer_than("Description", 300)),
    spec(
        "Contacts", "require_approval", outside_group("Email", "data-stewards"), "agent"
    ),
    spec("Contacts", "require_approval", many_fields(2)),
    spec("Contacts", "require_approval", production("Email")),
    spec("Contacts", "deny", production("Phone"), "agent"),
    spec("Contacts", "allow", becomes("Title", ("Buyer", "Analyst"))),
    spec("Contacts", "require_approval", longer_than("Title", 40), "service"),
]
POLICY_DEFAULTS = {
    "Deals": Route.ALLOW,
    "Accounts": Route.ALLOW,
    "Contacts": Route.ALLOW,
}


def build_workspace() -> Workspace:
    connector = Connector(
        name="zoho-sandbox",
        type="zoho-crm",
        login_url="http://127.0.0.1:9/accounts",
        instance_url="http://127.0.0.1:9",
        api_version="v8",
        is_sandbox=True,
        is_enabled=True,
        client_id="${ZOHO_CLIENT_ID}",
        client_secret="${ZOHO_CLIENT_SECRET}",
        refresh_token="${ZOHO_REFRESH_TOKEN}",
        managed_objects=tuple(ManagedObject(o, o, f) for o, f in ALLOWED.items()),
    )
    policies = []
    for object_name, default in POLICY_DEFAULTS.items():
        path = f"policies/{object_name.lower()}.yaml"
        rules = tuple(
            Rule(
                id=f"rule-{i:02d}",
                policy_file=path,
                when=s.cel,
                route=Route(s.route),
                objects=(s.object_name,),
                actor_kinds=s.actor_kinds,
                approvers=("revops-leads",),
            )
            for i, s in enumerate(SPECS)
            if s.object_name == object_name
        )
        policies.append(Policy(path, 1, default, rules, ()))
    return Workspace(Path("."), "bench", 1, (connector,), tuple(policies))


# --- the plain Python version ---------------------------------------------------


BY_OBJECT = {
    o: [(f"rule-{i:02d}", s) for i, s in enumerate(SPECS) if s.object_name == o]
    for o in ALLOWED
}
ALLOWED_SETS = {o: frozenset(f) for o, f in ALLOWED.items()}


def python_decide(
    request: dict[str, Any], record: dict[str, Any], connector: dict[str, Any]
) -> tuple[Route, tuple[str, ...]]:
    """Decide like RuleSet.decide, with the rules as Python predicates."""
    object_name = request["object"]
    changes = request["changes"]
    if object_name not in ALLOWED_SETS or not ALLOWED_SETS[object_name].issuperset(
        changes
    ):
        return Route.DENY, ()
    actor = request["actor"]
    kind = actor["kind"]
    routes = []
    matched = []
    for rule_id, s in BY_OBJECT[object_name]:
        if s.actor_kinds and kind not in s.actor_kinds:
            continue
        try:
            hit = s.python(changes, actor, record, connector)
        except (KeyError, TypeError):
            routes.append(Route.REQUIRE_APPROVAL)
            continue
        if hit:
            routes.append(Route(s.route))
            matched.append(rule_id)
    matched_policies = {SPECS[int(r[5:])].object_name for r in matched}
    routes += [d for o, d in POLICY_DEFAULTS.items() if o not in matched_policies]
    return most_restrictive(routes), tuple(matched)


class PythonRulesBackend(CelBackend):
    """The Python predicates behind the CEL backend interface.

    With it, `RuleSet` runs the same guard, selection, index and trace code as
    with CEL, so the ratio to it isolates what CEL evaluation costs.
    """

    name = "python"

    def __init__(self) -> None:
        self.predicates = {s.cel: s.python for s in SPECS}

    def compile(self, rule_id: str, source: str) -> Any:
        return self.predicates[source]

    def activation(
        self,
        *,
        request: Mapping[str, Any],
        record: Mapping[str, Any],
        connector: Mapping[str, Any],
        now: datetime,
        include: Collection[str] = VARIABLES,
    ) -> Any:
        return (request["changes"], request.get("actor") or {}, record, connector)

    def evaluate(self, compiled: Sequence[Any], activation: Any) -> list[RuleResult]:
        changes, actor, record, connector = activation
        results: list[RuleResult] = []
        for predicate in compiled:
            try:
                results.append(bool(predicate(changes, actor, record, connector)))
            except (KeyError, TypeError) as exc:
                results.append(f"{type(exc).__name__}: {exc}")
        return results


# --- requests -------------------------------------------------------------------

STAGES = (
    "Qualification",
    "Needs Analysis",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
    "Closed Lost to Competition",
)
TEXTS = (
    "",
    "Call back next week",
    "Offer a 10% discount " * 12,
    "confidential terms",
    "x" * 600,
)


def random_value(rng: random.Random, field: str) -> Any:
    if field == "Amount":
        return rng.choice([None, rng.randint(0, 2_000_000), rng.uniform(0, 2_000_000)])
    if field == "Stage":
        return rng.choice(STAGES)
    if field == "Closing_Date":
        return rng.choice([None, "2025-05-01", "2025-07-01", "2025-09-30"])
    if field in ("Phone", "Next_Step"):
        return rng.choice([None, "", "+1 555 0100", "Send proposal"])
    if field == "Website":
        return rng.choice(
            [None, "https://acme.com", "http://acme.com", "https://example.org"]
        )
    if field == "Industry":
        return rng.choice(["Retail", "Government", "Defense", "Sanctioned"])
    if field == "Title":
        return rng.choice(
            ["Buyer", "CEO", "Chief Revenue Officer", "Analyst", "VP " * 20]
        )
    if field == "Email":
        return rng.choice([None, "a@acme.com", "b@gmail.com", "c@mailinator.com"])
    return rng.choice(TEXTS)


def random_request(rng: random.Random) -> dict[str, Any]:
    object_name = rng.choice(sorted(ALLOWED))
    fields = list(ALLOWED[object_name])
    if rng.random() < 0.05:
        fields.append("Owner")  # outside every allowlist, so the guard denies
    chosen = rng.sample(fields, rng.randint(1, 3))
    return {
        "object": object_name,
        "recordId": str(rng.randint(10**18, 10**19 - 1)),
        "changes": {
            f: {"before": random_value(rng, f), "after": random_value(rng, f)}
            for f in chosen
        },
        "actor": {
            "id": "bench",
            "kind": rng.choice(["human", "agent", "service"]),
            "groups": rng.choice([[], ["revops-leads"], ["data-stewards", "sales"]]),
        },
        "reason": "benchmark",
        "dryRun": False,
    }


def random_record(rng: random.Random) -> dict[str, Any]:
    return {
        "Stage": rng.choice(STAGES),
        "$approval": {"delegate": False},
        "Owner": {"id": "1"},
    }


# --- measurement ----------------------------------------------------------------


def check_agreement(rule_set: RuleSet, cases: list[tuple[Row, Row]]) -> None:
    connector = {"name": "zoho-sandbox", "isSandbox": True}
    for request, record in cases:
        decision = rule_set.decide(request, record=record, now=NOW)
        expected = python_decide(request, record, connector)
        actual = (decision.route, decision.matched_rules)
        if actual != expected:
            raise SystemExit(
                f"CEL and Python disagree on {request}: {actual} != {expected}"
            )


def time_cel(rule_set: RuleSet, cases: list[tuple[Row, Row]]) -> float:
    decide = rule_set.decide
    start = time.perf_counter()
    for request, record in cases:
        decide(request, record=record, now=NOW)
    return len(cases) / (time.perf_counter() - start)


def time_python(cases: list[tuple[Row, Row]]) -> float:
    connector = {"name": "zoho-sandbox", "isSandbox": True}
    start = time.perf_counter()
    for request, record in cases:
        python_decide(request, record, connector)
    return len(cases) / (time.perf_counter() - start)


def evaluated_rules(rule_set: RuleSet, cases: list[tuple[Row, Row]]) -> float:
    """Return the mean number of rules evaluated per request (guard denials count 0)."""
    total = 0
    for request, _ in cases:
        changed = set(request["changes"])
        if changed - ALLOWED_SETS[request["object"]]:
            continue
        kind = request["actor"]["kind"]
        selected = rule_set.candidates("zoho-sandbox", request["object"], kind)
        total += sum(1 for c in selected if c.required <= changed)
    return total / len(cases)


def startup_ms(runs: int) -> float:
    """Return the median wall time of `actionplane --version` in milliseconds."""
    executable = shutil.which("actionplane")
    command = [executable] if executable else [sys.executable, "-m", "actionplane"]
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([*command, "--version"], check=True, capture_output=True)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def machine() -> str:
    cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return f"{platform.machine()}, {cores} cores (nproc), CPython {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--celpy-requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--startup-runs", type=int, default=9)
    args = parser.parse_args()

    rng = random.Random(20250701)
    cases = [(random_request(rng), random_record(rng)) for _ in range(args.requests)]
    workspace = build_workspace()
    print(f"machine: {machine()}")
    print(f"date: {datetime.now(UTC).date().isoformat()}")
    print(
        f"rules: {len(SPECS)}, requests: {len(cases)}, rounds: {args.rounds} (median)"
    )

    default = RuleSet(workspace, "cel-expr-python")
    in_engine = RuleSet(workspace, PythonRulesBackend())
    check_agreement(default, cases)
    check_agreement(in_engine, cases)
    rates: dict[str, list[float]] = {"cel": [], "python": [], "engine": []}
    for _ in range(args.rounds):
        rates["cel"].append(time_cel(default, cases))
        rates["python"].append(time_python(cases))
        rates["engine"].append(time_cel(in_engine, cases))
    cel_rate = statistics.median(rates["cel"])
    print(f"cel-expr-python:                 {cel_rate:,.0f} decisions/s")
    python_rate = statistics.median(rates["python"])
    print(f"plain Python decide function:    {python_rate:,.0f} decisions/s")
    engine_rate = statistics.median(rates["engine"])
    print(f"Python rules in the same engine: {engine_rate:,.0f} decisions/s")
    for label, key in (
        ("plain Python", "python"),
        ("Python rules in engine", "engine"),
    ):
        ratios = [p / c for p, c in zip(rates[key], rates["cel"], strict=True)]
        print(
            f"ratio {label} / cel-expr-python: {statistics.median(ratios):.2f}x "
            "(median of per-round ratios; target <= 2x)"
        )

    fallback = RuleSet(workspace, "cel-python")
    sample = cases[: args.celpy_requests]
    check_agreement(fallback, sample)
    celpy_rate = time_cel(fallback, sample)
    print(
        f"cel-python:      {celpy_rate:,.0f} decisions/s (measured on the first "
        f"{len(sample)} requests and extrapolated; one round)"
    )

    print(
        f"rules evaluated per request after indexing: {evaluated_rules(default, cases):.1f} "
        f"of {len(SPECS)}"
    )
    print(
        f"actionplane --version: {startup_ms(args.startup_runs):.0f} ms "
        f"(median of {args.startup_runs} runs; target < 150 ms)"
    )
    target = "met" if cel_rate >= 20_000 else "NOT met"
    print(f"target >= 20,000 decisions/s on cel-expr-python: {target}")


if __name__ == "__main__":
    main()
