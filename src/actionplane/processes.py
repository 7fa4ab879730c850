"""Whether a process on this host still exists, for locks and run leases."""

from __future__ import annotations

import os


def process_exists(pid: int) -> bool:
    """Tell whether a process with this id exists on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # the process exists but belongs to another user
        return True
    return True
