"""Tell a write in progress from one that a crash interrupted.

Before a write is sent, the run is stored as ``executing`` (or ``rolling_back``)
with a lease naming the host and process that sends it. Another command may
settle the run by reading the record back only when that write is surely no
longer in progress: the process is gone, or the lease is older than any write
can take.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from actionplane.processes import process_exists
from actionplane.runs.lifecycle import IN_FLIGHT
from actionplane.state.clock import format_time, parse_time
from actionplane.state.models import Run

# An estimate above the longest a write can take with the client's default
# timeouts and retries: up to four attempts each, of 10 to 30 seconds, for the
# token refresh, the write's connection and the read-back. An older lease
# belongs to a process that stopped.
LEASE_SECONDS = 900

_writing: set[str] = set()
_writing_lock = threading.Lock()


def new_lease(now: datetime) -> dict[str, Any]:
    return {"host": socket.gethostname(), "pid": os.getpid(), "since": format_time(now)}


@contextmanager
def writing(run_id: str) -> Iterator[None]:
    """Mark the run's write as in progress in this process for the block."""
    with _writing_lock:
        _writing.add(run_id)
    try:
        yield
    finally:
        with _writing_lock:
            _writing.discard(run_id)


def is_interrupted(run: Run, now: datetime) -> bool:
    """Tell whether a run left in flight no longer has a process writing it."""
    if run.status not in IN_FLIGHT:
        return False
    with _writing_lock:
        if run.id in _writing:
            return False
    lease = (run.result or {}).get("lease")
    if not isinstance(lease, Mapping):
        return True
    since = parse_time(str(lease.get("since")))
    if now - since > timedelta(seconds=LEASE_SECONDS):
        return True
    if lease.get("host") != socket.gethostname():
        return False
    pid = lease.get("pid")
    return pid == os.getpid() or not _process_alive(pid)


def lease_holder(run: Run) -> str:
    """Name the process that is writing the run, and since when."""
    lease = (run.result or {}).get("lease") or {}
    return (
        f"process {lease.get('pid')} on host {lease.get('host')} since"
        f" {lease.get('since')}"
    )


def held_message(run: Run) -> str:
    """Explain that another live process is writing the run, and what to do."""
    lease = (run.result or {}).get("lease") or {}
    expires = "unknown"
    if lease.get("since"):
        since = parse_time(str(lease["since"]))
        expires = format_time(since + timedelta(seconds=LEASE_SECONDS))
    if lease.get("host") == socket.gethostname():
        alive = "That process is still running"
    else:
        alive = "That process runs on another host, so it cannot be checked here"
    return (
        f"run {run.id} is {run.status}, and its write is held by"
        f" {lease_holder(run)}; the lease expires at {expires}. {alive}, and its"
        " write may still land, so the run is left as it is. Wait for that"
        f" command to finish and check with `actionplane run show {run.id}`. If"
        f" the process is stuck, `actionplane run resume {run.id} --force` settles"
        " the run now by a read-back."
    )


def _process_alive(pid: Any) -> bool:
    return isinstance(pid, int) and process_exists(pid)
