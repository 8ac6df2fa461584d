"""Which run of ansible-playbook this is, and whether the run that left a lock has ended.

A run's lock on a blog server (the deploy_lock module) names its holder: the controller's
host name, the process id of its ansible-playbook and that process's start time. A later
run on the same controller can then tell a lock whose run has ended (Ctrl+C, a killed
controller: the `always` that gives the lock back never ran) from one a live run holds,
and take over the first without waiting. The start time guards against a reused pid.

Runs on the controller (a lookup and a filter of this collection).
"""

from __future__ import annotations

import multiprocessing
import os
import socket
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any


def process_started(pid: int, proc: Path = Path("/proc")) -> str:
    """The process's start time in clock ticks since boot (/proc/<pid>/stat, field 22), ''
    where /proc does not say (another system, or no such process)."""
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except OSError:
        return ""
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else ""


def process_alive(pid: int) -> bool:
    """Whether a process with this pid exists (signal 0 asks without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def playbook_pid() -> int:
    """The pid of the ansible-playbook process: a task's templates are rendered in one of
    its worker processes, whose parent it is."""
    return os.getppid() if multiprocessing.parent_process() is not None else os.getpid()


def this_run() -> dict[str, Any]:
    """This run, as a lock's holder names it."""
    pid = playbook_pid()
    return {"controller": socket.gethostname(), "pid": pid, "started": process_started(pid)}


def holder_gone(
    holder: Mapping[str, Any],
    run: Mapping[str, Any],
    *,
    alive: Callable[[int], bool] = process_alive,
    started: Callable[[int], str] = process_started,
) -> bool:
    """True when the lock's holder is a run of this controller that has ended: its pid no
    longer exists, or is now another process (another start time). A holder of another
    controller, or one that names no pid, is never taken for gone."""
    if not holder or holder.get("controller") != run.get("controller"):
        return False
    try:
        pid = int(holder.get("pid") or 0)
    except (TypeError, ValueError):
        return False
    if pid <= 0 or pid == run.get("pid"):
        return False
    if not alive(pid):
        return True
    recorded = str(holder.get("started") or "")
    return bool(recorded) and started(pid) not in ("", recorded)
