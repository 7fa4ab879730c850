"""Benchmark policy impact replay of 10,000 recorded requests.

The old rules are the repository's workspace. The new rules are a copy whose
Deals approval threshold is raised from 100,000 to 150,000, the kind of change
a plan's impact section explains. A `ReplaySource` yields 10,000 seeded
requests shaped like recorded runs: connector, object, record id, one to three
changed fields, actor, reason, and the record as read at preview. The changed
fields come from the workspace's allowlists, and about 2% of the requests also
change a field outside them.

`replay` decides every request under both rule sets, so it makes two
decisions per request. The baseline, measured in the same run, is the same
20,000 decisions made by calling `RuleSet.decide` in a plain loop; the
difference is what the replay adds.

Run from the repository root:

    python benchmarks/bench_impact.py [--requests 10000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actionplane.config.load import load_valid_workspace
from actionplane.config.model import Workspace
from actionplane.plan.impact import Impact, ReplayRequest, replay
from actionplane.plan.make import decider
from actionplane.rules.engine import RuleSet

REPO_ROOT = Path(__file__).resolve().parent.parent
OLD_THRESHOLD = "request.changes.Amount.after > 100000.0"
NEW_THRESHOLD = "request.changes.Amount.after > 150000.0"
TARGET_SECONDS = 1.0

STAGES = ["Qualification", "Needs Analysis", "Closed Won", "Closed Lost"]
TEXTS = ["call back Monday", "", None, "sent the proposal", "x" * 300]


@dataclass
class RecordedRequests:
    """A replay source over requests generated up front, so that generating
    them is not timed."""

    items: list[ReplayRequest]
    name: str = "recorded-run"

    def requests(self) -> Iterator[ReplayRequest]:
        return iter(self.items)


def raised_threshold_workspace(root: Path) -> Workspace:
    shutil.copy(REPO_ROOT / "connectors.yaml", root / "connectors.yaml")
    shutil.copytree(REPO_ROOT / "policies", root / "policies")
    deals = root / "policies" / "deals.yaml"
    text = deals.read_text()
    if text.count(OLD_THRESHOLD) != 1:
        raise SystemExit(f"{deals} no longer contains {OLD_THRESHOLD!r} once")
    deals.write_text(text.replace(OLD_THRESHOLD, NEW_THRESHOLD))
    return load_valid_workspace(root)


def field_value(rng: random.Random, field: str) -> Any:
    if field == "Amount":
        return rng.choice([None, rng.uniform(0, 300_000), float(rng.randint(0, 5000))])
    if field == "Stage":
        return rng.choice(STAGES)
    if field == "Closing_Date":
        return rng.choice(["2020-01-15", "2031-06-30", None])
    if field == "Website":
        return rng.choice(["https://acme.example", None])
    if field == "Phone":
        return rng.choice(["+1 555 0100", "", None])
    return rng.choice(TEXTS)


def recorded_request(
    rng: random.Random, number: int, allowed: dict[str, list[str]]
) -> ReplayRequest:
    object_name = rng.choice(sorted(allowed))
    fields = list(allowed[object_name])
    if rng.random() < 0.02:
        fields.append("Owner")  # outside every allowlist, so the guard denies
    changed = rng.sample(fields, rng.randint(1, min(3, len(fields))))
    request = {
        "connector": "zoho-sandbox",
        "object": object_name,
        "recordId": str(4_200_017_000_000_000_000 + number),
        "changes": {
            name: {"before": field_value(rng, name), "after": field_value(rng, name)}
            for name in changed
        },
        "actor": {
            "id": f"user-{rng.randint(1, 40)}",
            "kind": rng.choice(["human", "agent", "service"]),
            "groups": rng.choice([[], ["revops-leads"], ["sales-managers"]]),
        },
        "reason": "recorded by the benchmark",
        "dryRun": False,
    }
    record = {name: field_value(rng, name) for name in allowed[object_name]}
    return ReplayRequest("recorded-run", f"run-{number}", request, record)


def generate(count: int, workspace: Workspace) -> list[ReplayRequest]:
    allowed = {
        obj.object_api_name: list(obj.allowed_fields)
        for obj in workspace.connectors[0].managed_objects
    }
    rng = random.Random(20261204)
    return [recorded_request(rng, number, allowed) for number in range(count)]


def time_replay(source: RecordedRequests, old: Workspace, new: Workspace) -> float:
    """Return the seconds `replay` takes; building the deciders is not timed."""
    decide_old, decide_new = decider(old, None), decider(new, None)
    assert decide_old is not None and decide_new is not None
    started = time.perf_counter()
    replay([source], decide_old, decide_new)
    return time.perf_counter() - started


def time_decide_loop(items: list[ReplayRequest], old: RuleSet, new: RuleSet) -> float:
    started = time.perf_counter()
    for rules in (old, new):
        decide = rules.decide
        for item in items:
            decide(item.request, record=item.record)
    return time.perf_counter() - started


def describe(impact: Impact) -> str:
    moved = ", ".join(f"{name} {count}" for name, count in impact.counts.items())
    mix = ", ".join(f"{route} {count}" for route, count in impact.after_mix.items())
    return f"replayed {impact.total_replayed}; moved: {moved}; new routes: {mix}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, CPython "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f}"
    )
    old = load_valid_workspace(REPO_ROOT)
    with tempfile.TemporaryDirectory(prefix="bench-impact-") as temporary:
        new = raised_threshold_workspace(Path(temporary))
    source = RecordedRequests(generate(args.requests, old))
    decide_old, decide_new = decider(old, None), decider(new, None)
    assert decide_old is not None and decide_new is not None
    print(describe(replay([source], decide_old, decide_new)))

    old_rules, new_rules = RuleSet(old), RuleSet(new)
    replays, loops = [], []
    for _ in range(args.rounds):
        replays.append(time_replay(source, old, new))
        loops.append(time_decide_loop(source.items, old_rules, new_rules))
    replay_seconds = statistics.median(replays)
    loop_seconds = statistics.median(loops)
    decisions = 2 * len(source.items)
    print(f"medians of {args.rounds} rounds ({old_rules.backend.name}):")
    print(
        f"  replay of {len(source.items)} requests: {replay_seconds * 1000:.0f} ms, "
        f"{decisions / replay_seconds:,.0f} decisions/s"
    )
    print(
        f"  the same {decisions} decisions in a plain decide loop: "
        f"{loop_seconds * 1000:.0f} ms, {decisions / loop_seconds:,.0f} decisions/s"
    )
    print(f"  replay / plain loop: {replay_seconds / loop_seconds:.2f}x")
    verdict = "met" if replay_seconds < TARGET_SECONDS else "NOT met"
    print(f"target replay < {TARGET_SECONDS:g} s: {verdict}")


if __name__ == "__main__":
    main()
