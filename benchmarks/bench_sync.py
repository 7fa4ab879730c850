"""Benchmark metadata sync of 20 modules with 300 fields each from the sandbox.

The embedded Zoho sandbox runs in-process on a free loopback port and serves a
generated catalog (`large_org`) instead of its packaged org. Each sync is
`sync_metadata` with a fresh `ZohoClient`, so the modules list and every
module's fields are read over real HTTP and the snapshot is written again. All
clients share one in-memory token cache, so only the first sync refreshes a
token. HTTP calls are counted from the sandbox's call log.

Then the sandbox adds a fixed latency to every call (20 ms, then 100 ms), and
the sync runs with `max_concurrency` 1, 5 and 10 to show what the concurrency
limit buys.

Run from the repository root:

    python benchmarks/bench_sync.py [--rounds 3] [--latency-rounds 1] [--latency-ms 20 100]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from large_org import FIELDS_PER_MODULE, MODULES, build_large_catalog
from large_workspace import write_workspace

from actionplane.config.load import load_valid_workspace
from actionplane.config.model import Connector
from actionplane.metadata.snapshot import snapshot_path
from actionplane.metadata.sync import SyncResult, sync_metadata
from actionplane.zoho.client import ZohoClient
from actionplane.zoho.sandbox import SandboxServer, seed
from actionplane.zoho.tokens import MemoryTokenCache

CONCURRENCY_LEVELS = (1, 5, 10)


class SyncRunner:
    """Runs syncs of one workspace against one sandbox and keeps the call log."""

    def __init__(self, root: Path, sandbox: SandboxServer) -> None:
        self.root = root
        self.sandbox = sandbox
        self.cache = MemoryTokenCache()
        self.connector: Connector = load_valid_workspace(root).connectors[0]

    def sync(
        self, max_concurrency: int, *, fresh: bool = True
    ) -> tuple[float, list[dict[str, Any]]]:
        """Sync once and return the wall seconds and the HTTP calls made.

        `fresh` deletes the snapshot first, so the sync writes it again;
        otherwise the sync finds it unchanged and leaves it.
        """
        if fresh:
            snapshot_path(self.root, self.connector.name).unlink(missing_ok=True)
        self.sandbox.clear_calls()
        started = time.perf_counter()
        with ZohoClient(
            self.connector,
            env=dict(seed.ENV_VARS),
            token_cache=self.cache,
            max_concurrency=max_concurrency,
        ) as client:
            result = sync_metadata(self.root, self.connector, client)
        seconds = time.perf_counter() - started
        check_result(result, written=fresh)
        return seconds, self.sandbox.calls()


def check_result(result: SyncResult, *, written: bool) -> None:
    """Exit when the sync did not fetch the whole generated org."""
    modules = result.snapshot.modules
    counts = {len(module.get("fields") or {}) for module in modules.values()}
    if len(modules) != MODULES or counts != {FIELDS_PER_MODULE}:
        raise SystemExit(
            f"sync fetched {len(modules)} modules with field counts {sorted(counts)}, "
            f"expected {MODULES} modules of {FIELDS_PER_MODULE} fields"
        )
    if result.written != written:
        raise SystemExit(
            f"sync wrote the snapshot: {result.written}, expected {written}"
        )


def describe_calls(calls: list[dict[str, Any]]) -> str:
    kinds = Counter(f"{call['method']} {call['path']}" for call in calls)
    return ", ".join(f"{count} x {kind}" for kind, count in sorted(kinds.items()))


def loopback(runner: SyncRunner, rounds: int) -> None:
    seconds, calls = runner.sync(max_concurrency=5)
    print(f"first sync (empty token cache): {len(calls)} HTTP calls, {seconds:.3f} s")
    print(f"  {describe_calls(calls)}")
    print(f"later syncs, token cached, median of {rounds}:")
    for label, fresh in (("writing the snapshot", True), ("snapshot unchanged", False)):
        samples = []
        for _ in range(rounds):
            seconds, calls = runner.sync(max_concurrency=5, fresh=fresh)
            samples.append(seconds)
        print(
            f"  {label:22} {statistics.median(samples) * 1000:5.0f} ms, "
            f"{len(calls)} HTTP calls"
        )

    seconds, calls = runner.sync(max_concurrency=1)
    sandbox_ms = sum(call["duration_ms"] for call in calls)
    field_calls = [c["duration_ms"] for c in calls if c["path"].endswith("/fields")]
    size = snapshot_path(runner.root, runner.connector.name).stat().st_size
    print(
        f"one sync with max_concurrency 1: {seconds * 1000:.0f} ms, of which the "
        f"sandbox handled calls for {sandbox_ms:.0f} ms (median "
        f"{statistics.median(field_calls):.0f} ms per fields call)"
    )
    print(f"  snapshot file: {size / 1e6:.1f} MB")


def with_latency(runner: SyncRunner, latency_ms: int, rounds: int) -> None:
    runner.sandbox.configure(latency_ms=latency_ms)
    print(f"sandbox latency {latency_ms} ms per call, median of {rounds} syncs:")
    for level in CONCURRENCY_LEVELS:
        samples = [runner.sync(max_concurrency=level)[0] for _ in range(rounds)]
        print(
            f"  max_concurrency {level:2}: {statistics.median(samples) * 1000:6.0f} ms"
        )
    runner.sandbox.configure(latency_ms=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds", type=int, default=3, help="Syncs per loopback measurement."
    )
    parser.add_argument(
        "--latency-rounds", type=int, default=1, help="Syncs per latency setting."
    )
    parser.add_argument(
        "--latency-ms",
        type=int,
        nargs="+",
        default=[20, 100],
        help="Sandbox latencies per call to try, in milliseconds [default: 20 100].",
    )
    args = parser.parse_args()

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, CPython "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f}"
    )
    print(f"org: {MODULES} modules of {FIELDS_PER_MODULE} fields")
    with (
        tempfile.TemporaryDirectory(prefix="bench-sync-") as temporary,
        SandboxServer(catalog=build_large_catalog()) as sandbox,
    ):
        root = Path(temporary) / "workspace"
        write_workspace(
            root,
            MODULES,
            login_url=sandbox.url,
            instance_url=sandbox.url,
            with_policies=False,
        )
        runner = SyncRunner(root, sandbox)
        loopback(runner, args.rounds)
        for latency_ms in args.latency_ms:
            with_latency(runner, latency_ms, args.latency_rounds)


if __name__ == "__main__":
    main()
