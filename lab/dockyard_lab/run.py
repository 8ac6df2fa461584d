"""Running commands with visible progress and clear failures."""

from __future__ import annotations

import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


class LabError(RuntimeError):
    """A lab step failed; the message says which and why."""


def log(message: str) -> None:
    """Print one progress line on stderr, flushed, so long steps are never silent."""
    print(f"lab: {message}", file=sys.stderr, flush=True)


def run(
    argv: Sequence[str],
    *,
    check: bool = True,
    capture: bool = True,
    stdin: int | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run argv; on failure raise LabError carrying the command and its stderr."""
    proc = subprocess.run(
        list(argv),
        check=False,
        text=True,
        capture_output=capture,
        stdin=stdin,
        cwd=cwd,
    )
    if check and proc.returncode != 0:
        tail = (proc.stderr or "").strip().splitlines()[-15:]
        raise LabError(
            f"command failed ({proc.returncode}): {shlex.join(argv)}\n" + "\n".join(tail)
        )
    return proc
