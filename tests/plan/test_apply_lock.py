"""Apply takes over the apply lock of a process on this host that has ended."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.plan.helpers import run

from actionplane.plan.apply import holder_process_ended
from actionplane.state.models import Lock

# A script that takes the apply lock under the holder name `actionplane apply`
# uses, then sleeps.
HOLD_LOCK = """
import sys, time
from pathlib import Path
from actionplane.plan.apply import APPLY_LOCK, DEFAULT_LOCK_TTL, lock_holder
from actionplane.state import open_state

store = open_state(Path(sys.argv[1]), Path(sys.argv[2]))
store.acquire_lock(APPLY_LOCK, lock_holder(), "apply plan-held", DEFAULT_LOCK_TTL)
print("held", flush=True)
time.sleep(300)
"""


@pytest.fixture
def holder(git_workspace: Path, state: str) -> Iterator[subprocess.Popen[str]]:
    """A process on this host that holds the apply lock until it is killed."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, state, str(git_workspace)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "held\n"
        yield process
    finally:
        process.kill()
        process.wait(timeout=30)


def ended_pid() -> int:
    """Return the pid of a process that has exited."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait(timeout=30)
    return process.pid


def lock_held_by(holder_name: str) -> Lock:
    now = datetime.now(UTC)
    return Lock("lock_1", "apply", holder_name, "", now, now + timedelta(minutes=15))


def apply(root: Path, state: str):
    return run("apply", "-w", str(root), "--state", state, "--auto-approve")


def taken_over_events(root: Path, state: str) -> list[dict]:
    result = run("audit", "log", "-w", str(root), "--state", state, "--format", "json")
    assert result.exit_code == 0, result.output
    events = json.loads(result.output)["events"]
    return [event for event in events if event["kind"] == "lock.taken_over"]


def test_killed_holder_lock_taken_over(git_workspace, state, holder):
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    old_holder = f"@{socket.gethostname()} pid {holder.pid}"

    applied = apply(git_workspace, state)

    assert applied.exit_code == 0, applied.output
    assert old_holder in applied.output
    assert "whose process on this host has ended" in applied.output
    assert "revision 1" in applied.output
    [event] = taken_over_events(git_workspace, state)
    replaced = event["payload"]["holder_ended"]
    assert replaced["holder"].endswith(old_holder)
    assert replaced["reason"] == "apply plan-held"
    assert event["payload"]["new_reason"].startswith("apply plan-")


def test_live_holder_keeps_lock(git_workspace, state, holder):
    refused = apply(git_workspace, state)

    assert refused.exit_code == 1, refused.output
    assert f"@{socket.gethostname()} pid {holder.pid}" in refused.output
    assert "apply plan-held" in refused.output
    assert taken_over_events(git_workspace, state) == []


def test_other_host_waits_for_expiry(git_workspace, state):
    from actionplane.state import open_state

    other_host = f"dana@not-{socket.gethostname()} pid {ended_pid()}"
    with open_state(Path(state), git_workspace) as store:
        store.acquire_lock("apply", other_host, "apply plan-abc", 600)

    refused = apply(git_workspace, state)

    assert refused.exit_code == 1, refused.output
    assert other_host in refused.output
    assert taken_over_events(git_workspace, state) == []


def test_holder_check_on_this_host():
    host = socket.gethostname()
    assert holder_process_ended(lock_held_by(f"dana@{host} pid {ended_pid()}"))
    assert not holder_process_ended(lock_held_by(f"dana@{host} pid {os.getppid()}"))
    assert not holder_process_ended(lock_held_by(f"dana@{host} pid {os.getpid()}"))


def test_holder_check_needs_host_and_pid():
    pid = ended_pid()
    assert not holder_process_ended(lock_held_by(f"dana@elsewhere pid {pid}"))
    assert not holder_process_ended(lock_held_by("first-apply"))
    assert not holder_process_ended(lock_held_by(f"{socket.gethostname()} {pid}"))
