"""Benchmark `actionplane check` on a large generated workspace.

The workspace has one connector with 20 managed modules of 300 fields each (a
metadata snapshot written with `actionplane.metadata.snapshot`), 500 rules in
20 policy files and 2,000 rule tests. Before timing, the script checks that the
workspace has no diagnostics and that every rule test passes, so the figures
are for the path a clean workspace takes.

The phases are timed by calling, in order, the functions `check_workspace`
calls: load (YAML, schema, semantics, model), compile (CEL), lint (static rule
warnings) and metadata checks (snapshot load, connector, rule and test checks).
The CLI is timed end to end in a subprocess, Python start-up included.

Run from the repository root:

    python benchmarks/bench_check.py [--rounds 3] [--cli-runs 1]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from large_org import MODULES, build_large_catalog, snapshot_from_catalog
from large_workspace import write_workspace

from actionplane.config.load import load_workspace
from actionplane.config.model import Workspace
from actionplane.config.schema import validate_document
from actionplane.config.yamlload import load_yaml_file
from actionplane.metadata.snapshot import write_snapshot
from actionplane.reconcile.metadata_checks import check_connector_metadata
from actionplane.reconcile.rule_checks import check_rule_tests, check_rules
from actionplane.reconcile.validate import check_workspace, load_snapshots
from actionplane.rules.backend import get_backend
from actionplane.rules.compiler import compile_rules
from actionplane.rules.lint import analyze_rules
from actionplane.rules.positions import read_lines
from actionplane.rules.testing import run_rule_tests

TARGET_SECONDS = 2.0
INSTANCE_URL = "https://sandbox.zohoapis.com"


def build(root: Path) -> None:
    write_workspace(root, MODULES, instance_url=INSTANCE_URL)
    write_snapshot(root, snapshot_from_catalog(build_large_catalog(), INSTANCE_URL))


def verify(root: Path) -> None:
    """Exit when the generated workspace has diagnostics or failing rule tests."""
    result = check_workspace(root)
    if result.diagnostics:
        first = result.diagnostics[0]
        raise SystemExit(
            f"generated workspace has {len(result.diagnostics)} diagnostics, "
            f"first: {first.code} {first.summary}"
        )
    report = run_rule_tests(result.workspace)
    failed = [r for r in report.results if not r.passed]
    if failed:
        raise SystemExit(
            f"{len(failed)} generated rule tests fail, first: "
            f"{failed[0].test.name}: {failed[0].failures}"
        )
    workspace = result.workspace
    print(
        f"workspace: {len(workspace.connectors[0].managed_objects)} modules, "
        f"{len(workspace.rules)} rules, {len(workspace.tests)} rule tests, "
        f"{sum(len(s.modules) for s in result.snapshots.values())} modules in the "
        f"snapshot, {len(report.results)} rule tests pass"
    )


def timed(
    phases: dict[str, list[float]],
    name: str,
    work: Callable[..., Any],
    *args: Any,
    **kwargs: Any,
) -> Any:
    started = time.perf_counter()
    value = work(*args, **kwargs)
    phases.setdefault(name, []).append(time.perf_counter() - started)
    return value


def measure_phases(root: Path, phases: dict[str, list[float]]) -> None:
    workspace, _ = timed(phases, "load", load_workspace, root)
    backend = get_backend(None, workspace.cel_backend)
    timed(phases, "compile", compile_rules, workspace, backend)
    timed(phases, "lint", analyze_rules, workspace, backend.name)
    timed(phases, "metadata checks", metadata_checks, root, workspace)


def metadata_checks(root: Path, workspace: Workspace) -> None:
    snapshots, _ = load_snapshots(root, workspace)
    for connector in workspace.connectors:
        list(
            check_connector_metadata(
                workspace, connector, snapshots.get(connector.name)
            )
        )
    lines = {p.path: read_lines(root, p.path) or [] for p in workspace.policies}
    list(check_rules(workspace, snapshots, lines))
    list(check_rule_tests(workspace, snapshots))


def measure_yaml(root: Path, parts: dict[str, list[float]]) -> None:
    """Time the parts of `load` that grow with file size, file by file."""
    paths = [root / "connectors.yaml", *sorted((root / "policies").glob("*.yaml"))]
    for path in paths:
        relative = str(path.relative_to(root))
        schema = "connectors" if path.name == "connectors.yaml" else "policy"
        document, _ = timed(
            parts, "ActionPlane YAML loader", load_yaml_file, path, relative
        )
        timed(parts, "JSON Schema validation", validate_document, document, schema)
        text = path.read_text()
        timed(parts, "PyYAML compose, pure Python", yaml.compose, text, yaml.SafeLoader)
        timed(parts, "PyYAML compose, libyaml", yaml.compose, text, yaml.CSafeLoader)


def cli_seconds(root: Path, runs: int) -> list[float]:
    executable = shutil.which("actionplane")
    command = [executable] if executable else [sys.executable, "-m", "actionplane"]
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        finished = subprocess.run(
            [*command, "check", "--workspace", str(root)],
            capture_output=True,
            text=True,
            env={**os.environ, "NO_COLOR": "1"},
        )
        samples.append(time.perf_counter() - started)
        if finished.returncode != 0:
            raise SystemExit(f"actionplane check failed:\n{finished.stdout}")
    return samples


def machine() -> str:
    cores = os.cpu_count()
    load = os.getloadavg()[0]
    return (
        f"{platform.machine()}, {cores} cores, CPython {platform.python_version()}, "
        f"load average {load:.2f}"
    )


def report_check(root: Path, rounds: int) -> None:
    totals: dict[str, list[float]] = {}
    for _ in range(rounds):
        timed(totals, "check_workspace", check_workspace, root)
    total = statistics.median(totals["check_workspace"])
    print(f"check_workspace: {total * 1000:.0f} ms, median of {rounds} rounds")
    verdict = "met" if total < TARGET_SECONDS else "NOT met"
    print(f"target check_workspace < {TARGET_SECONDS:g} s: {verdict}")

    phases: dict[str, list[float]] = {}
    measure_phases(root, phases)
    print("phases, one round:")
    for name, samples in phases.items():
        print(f"  {name:30} {samples[0] * 1000:8.0f} ms")

    parts: dict[str, list[float]] = {}
    measure_yaml(root, parts)
    print("inside load, summed over all files, one round:")
    for name, samples in parts.items():
        print(f"  {name:30} {sum(samples) * 1000:8.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cli-runs", type=int, default=1)
    args = parser.parse_args()

    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="bench-check-") as temporary:
        root = Path(temporary) / "workspace"
        started = time.perf_counter()
        build(root)
        print(f"generated the workspace in {time.perf_counter() - started:.2f} s")
        verify(root)
        report_check(root, args.rounds)

        cli = cli_seconds(root, args.cli_runs)
        print(
            f"actionplane check (subprocess): {statistics.median(cli) * 1000:.0f} ms, "
            f"median of {args.cli_runs} runs"
        )


if __name__ == "__main__":
    main()
