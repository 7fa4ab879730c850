"""Each benchmark script still runs, at a tiny size so the suite stays fast.

The figures mean nothing at this size. The test exists so that a change to
the product cannot leave a benchmark broken until someone next measures.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

SMALL_RUNS = {
    "bench_rules.py": [
        "--requests", "200", "--rounds", "1", "--celpy-requests", "5",
        "--startup-runs", "1",
    ],
    "bench_state.py": ["--runs", "20"],
    "bench_runs.py": ["--runs", "5", "--warmup", "1"],
    "bench_impact.py": ["--requests", "200", "--rounds", "1"],
}  # fmt: skip


def test_every_benchmark_is_listed() -> None:
    scripts = {path.name for path in BENCHMARKS.glob("bench_*.py")}
    # bench_check and bench_sync build large workspaces and take tens of
    # seconds even at their smallest, so they are left out of the suite.
    assert scripts - set(SMALL_RUNS) == {"bench_check.py", "bench_sync.py"}


@pytest.mark.parametrize("script", sorted(SMALL_RUNS))
def test_benchmark_runs(script: str, tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *SMALL_RUNS[script]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Traceback" not in completed.stderr
