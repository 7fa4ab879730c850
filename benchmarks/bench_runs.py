"""Benchmark governed dry runs against the embedded Zoho sandbox.

Each run is the onboarding sample (`run submit --preset zoho-deal --dry-run`).
It reads the record live over HTTP on loopback, builds the preview, decides with
the applied revision's rules and computes the run digest. One state transaction
then stores the run, its evidence, its audit entries and its metering.

The figure of interest is the time spent in ActionPlane: the wall time of a run
minus the time inside HTTP calls. HTTP time is the sum of the Zoho client's
exchange durations, which span from sending a request to the end of its
response. That span includes httpx's own request handling and loopback socket
time as well as the sandbox's work, so the ActionPlane figure slightly
understates the client-side cost of an HTTP call.

Run from the repository root:

    python benchmarks/bench_runs.py [--runs 300] [--warmup 30] [--state-dir DIR]
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from actionplane.config.model import Connector
from actionplane.metadata.snapshot import write_snapshot
from actionplane.plan.apply import apply_plan
from actionplane.plan.make import make_plan
from actionplane.runs.context import RunContext
from actionplane.runs.request import RunInput
from actionplane.runs.submit import submit_run
from actionplane.state import open_state
from actionplane.zoho.client import ZohoClient
from actionplane.zoho.sandbox import SandboxServer, seed
from actionplane.zoho.tokens import MemoryTokenCache
from actionplane.zoho.transport import ExchangeRecorder, ZohoExchange

REPO_ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 5.0


class HttpClock:
    """Sums the durations of the Zoho exchanges passed to its recorders."""

    def __init__(self) -> None:
        self.total_ms = 0.0

    def factory(self) -> Callable[[Connector, ExchangeRecorder], ZohoClient]:
        cache = MemoryTokenCache()

        def make(connector: Connector, recorder: ExchangeRecorder) -> ZohoClient:
            def record(exchange: ZohoExchange) -> None:
                self.total_ms += exchange.duration_ms
                recorder(exchange)

            return ZohoClient(
                connector, env=dict(seed.ENV_VARS), recorder=record, token_cache=cache
            )

        return make


def build_workspace(root: Path, sandbox_url: str) -> None:
    """Copy the repo's workspace with its connector pointed at the sandbox."""
    from actionplane.metadata.sync import fetch_snapshot

    root.mkdir(parents=True)
    text = (REPO_ROOT / "connectors.yaml").read_text()
    text = text.replace("https://accounts.zoho.com", sandbox_url)
    text = text.replace("https://sandbox.zohoapis.com", sandbox_url)
    (root / "connectors.yaml").write_text(text)
    shutil.copytree(REPO_ROOT / "policies", root / "policies")

    from actionplane.config.load import load_workspace

    workspace, _ = load_workspace(root)
    connector = workspace.connectors[0]
    with ZohoClient(
        connector, env=dict(seed.ENV_VARS), token_cache=MemoryTokenCache()
    ) as client:
        write_snapshot(root, fetch_snapshot(connector, client))


def apply_workspace(root: Path, state_path: Path) -> None:
    with open_state(state_path, root) as state:
        plan = make_plan(root, state=state)
        # The benchmark's workspace is a temporary folder outside git.
        apply_plan(plan, state, root, reason="benchmark", allow_uncommitted=True)


def measure(ctx: RunContext, clock: HttpClock, runs: int) -> list[tuple[float, float]]:
    """Return (wall ms, HTTP ms) for each dry run."""
    samples = []
    for _ in range(runs):
        before_http = clock.total_ms
        started = time.perf_counter()
        outcome = submit_run(ctx, RunInput(preset="zoho-deal", dry_run=True))
        wall = (time.perf_counter() - started) * 1000
        if outcome.run.status != "previewed":
            raise SystemExit(f"unexpected run status {outcome.run.status}")
        samples.append((wall, clock.total_ms - before_http))
    return samples


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(samples: list[tuple[float, float]], state_dir: Path) -> None:
    walls = [wall for wall, _ in samples]
    https = [http for _, http in samples]
    own = [wall - http for wall, http in samples]
    median_own = statistics.median(own)
    print(f"python {platform.python_version()} on {platform.platform()}")
    print(f"processor: {platform.processor() or platform.machine()}")
    print(f"state file in {state_dir} (SQLite, WAL, synchronous=FULL)")
    print(f"governed dry runs measured: {len(samples)}")
    print(f"  wall per run          median {statistics.median(walls):7.3f} ms")
    print(f"  HTTP per run          median {statistics.median(https):7.3f} ms")
    print(
        f"  ActionPlane per run   median {median_own:7.3f} ms,"
        f" p95 {percentile(own, 0.95):7.3f} ms, min {min(own):7.3f} ms"
    )
    verdict = "meets" if median_own < TARGET_MS else "misses"
    print(f"  target < {TARGET_MS:g} ms (median, ActionPlane only): {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="Folder for the workspace and state file [default: a temporary one].",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-runs-") as temporary:
        base = args.state_dir or Path(temporary)
        root = base / "workspace"
        state_path = base / "state.db"
        with SandboxServer() as sandbox:
            build_workspace(root, sandbox.url)
            apply_workspace(root, state_path)
            clock = HttpClock()
            with (
                open_state(state_path, root) as state,
                RunContext(state, root, "bench", client_factory=clock.factory()) as ctx,
            ):
                measure(ctx, clock, args.warmup)
                samples = measure(ctx, clock, args.runs)
        report(samples, base)


if __name__ == "__main__":
    main()
