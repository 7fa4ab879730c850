"""Measure how fast the SQLite state store records governed runs.

Each run is one transaction: insert the run, add evidence rows and append two audit
entries, as the run lifecycle does for a previewed and decided run. The script runs
once with synchronous=FULL (the default, durable through power loss) and once with
NORMAL, then times a full audit chain verification and a filtered run listing.

Usage: python benchmarks/bench_state.py [--runs 2000] [--evidence 3] [--dir PATH]

The database goes in a new temporary folder under --dir (default: the system temp
folder), because the cost of fsync depends on the file system.
"""

from __future__ import annotations

import argparse
import platform
import sqlite3
import tempfile
import time
from pathlib import Path

from actionplane.state.sqlite import SQLiteStateStore
from actionplane.state.sqlite_base import Synchronous

REQUEST = {
    "connector": "zoho-sandbox",
    "object": "Deals",
    "changes": {"Amount": {"before": 90000, "after": 120000}},
    "reason": "quarter-end adjustment",
}
PREVIEW = {"fields": [{"field": "Amount", "before": 90000, "after": 120000}]}
DECISION = {"route": "require_approval", "matched": ["large-amount-needs-approval"]}


def record_runs(store: SQLiteStateStore, runs: int, evidence: int) -> float:
    """Record ``runs`` runs and return the elapsed seconds."""
    started = time.perf_counter()
    for number in range(runs):
        with store.transaction():
            run = store.create_run(
                connector="zoho-sandbox",
                object="Deals",
                record_id=f"57257670000{number:08d}",
                actor_id="bench",
                actor_kind="service",
                status="pending_approval",
                dry_run=number % 2 == 0,
                digest="sha256:bench",
                revision_serial=None,
                request=REQUEST,
                preview=PREVIEW,
                decision=DECISION,
            )
            for index in range(evidence):
                store.add_evidence(run.id, "preview", f"evidence-{index}", PREVIEW)
            store.append_audit("run.previewed", "bench", run.id, {"route": "allow"})
            store.append_audit("run.decided", "bench", run.id, DECISION)
    return time.perf_counter() - started


def measure(folder: Path, synchronous: Synchronous, runs: int, evidence: int) -> None:
    path = folder / f"state-{synchronous.lower()}.db"
    with SQLiteStateStore(path, synchronous=synchronous) as store:
        seconds = record_runs(store, runs, evidence)
        print(
            f"synchronous={synchronous}: recorded {runs} runs in {seconds:.2f}s,"
            f" {runs / seconds:,.0f} runs/s, {seconds / runs * 1000:.2f} ms per run"
        )

        started = time.perf_counter()
        verification = store.verify_audit()
        seconds = time.perf_counter() - started
        print(f"  verified {verification.checked} audit entries in {seconds:.2f}s")

        started = time.perf_counter()
        listed = store.list_runs(status="pending_approval", limit=100)
        seconds = time.perf_counter() - started
        print(f"  listed {len(listed)} runs by status in {seconds * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000, help="runs to record")
    parser.add_argument("--evidence", type=int, default=3, help="evidence rows per run")
    parser.add_argument("--dir", type=Path, default=None, help="folder for the files")
    args = parser.parse_args()

    print(f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")
    print(f"{platform.platform()}, {platform.machine()}")
    print(f"each run: 1 run row, {args.evidence} evidence rows, 2 audit entries")
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        print(f"database folder: {folder}")
        for synchronous in ("FULL", "NORMAL"):
            measure(Path(folder), synchronous, args.runs, args.evidence)


if __name__ == "__main__":
    main()
