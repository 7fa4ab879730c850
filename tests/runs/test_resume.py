"""Resume: a write held by a live process is left alone unless forced."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

from runs_testing import RunsEnv, approved_run

from actionplane.state import open_state
from actionplane.state.clock import format_time, utc_now
from actionplane.zoho.sandbox import seed


def start_execute(env: RunsEnv, run_id: str) -> subprocess.Popen[str]:
    """Start `run execute` in a second process, as another terminal would."""
    argv = [sys.executable, "-m", "actionplane", "run", "execute", run_id]
    argv += ["-w", str(env.root), "--state", str(env.state), "--format", "json"]
    return subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for_status(env: RunsEnv, run_id: str, status: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with open_state(env.state, env.root) as state:
            if state.get_run(run_id).status == status:
                return
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} never became {status}")


def hold_lease(env: RunsEnv, run_id: str, pid: int) -> None:
    """Store the run as executing under a lease of the live process ``pid``."""
    with open_state(env.state, env.root) as state:
        run = state.get_run(run_id)
        state.update_run_status(
            run_id,
            "approved",
            "executing",
            result={
                "lease": {
                    "host": socket.gethostname(),
                    "pid": pid,
                    "since": format_time(utc_now()),
                },
                "execution": {
                    "baseline": run.preview["modified_time"],
                    "values": {"Amount": 150000.0},
                },
            },
        )


def test_resume_refused_while_writer_runs(runs_env: RunsEnv) -> None:
    run_id = approved_run(runs_env)
    runs_env.sandbox.configure(latency_ms=1500)
    writer = start_execute(runs_env, run_id)
    try:
        wait_for_status(runs_env, run_id, "executing")

        resumed = runs_env.cli("run", "resume", run_id)

        stdout, stderr = writer.communicate(timeout=60)
    finally:
        writer.kill()
    assert resumed.exit_code == 1, resumed.output
    assert f"held by process {writer.pid} on host" in resumed.stderr
    assert "the lease expires at" in resumed.stderr
    assert f"actionplane run resume {run_id} --force" in resumed.stderr
    assert writer.returncode == 0, stderr
    assert json.loads(stdout)["run"]["status"] == "executed"
    with open_state(runs_env.state, runs_env.root) as state:
        assert state.get_run(run_id).status == "executed"
        assert state.audit_events(kind="run.execution_not_landed") == []
    assert len(runs_env.puts()) == 1
    assert runs_env.deal()["Amount"] == 150000.0


def test_held_run_refused_by_other_commands(runs_env: RunsEnv) -> None:
    run_id = approved_run(runs_env)
    hold_lease(runs_env, run_id, os.getppid())

    executed = runs_env.cli("run", "execute", run_id)
    rolled_back = runs_env.cli("run", "rollback", run_id)
    shown = runs_env.cli("run", "show", run_id)

    assert executed.exit_code == 1
    assert f"held by process {os.getppid()}" in executed.stderr
    assert rolled_back.exit_code == 1
    assert f"held by process {os.getppid()}" in rolled_back.stderr
    assert shown.exit_code == 0
    assert "has a write in progress" in shown.stderr
    assert f"Run {run_id} (live) is executing" in shown.stdout
    assert runs_env.puts() == []


def test_forced_resume_settles_and_audits(runs_env: RunsEnv) -> None:
    run_id = approved_run(runs_env)
    hold_lease(runs_env, run_id, os.getppid())

    code, body = runs_env.json(
        "run", "resume", run_id, "--force", "--reason", "The writer hangs"
    )

    assert code == 12, body["message"]
    assert body["run"]["status"] == "approved"
    assert "did not land" in body["message"]
    assert any("--force settled the run" in w for w in body["warnings"])
    with open_state(runs_env.state, runs_env.root) as state:
        forced = state.audit_events(kind="run.resume_forced")
    assert len(forced) == 1
    assert forced[0].payload["reason"] == "The writer hangs"
    assert forced[0].payload["lease"]["pid"] == os.getppid()
    assert runs_env.puts() == []
    assert runs_env.deal()["Amount"] == seed.SAMPLE_DEAL["Amount"]
