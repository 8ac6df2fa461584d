"""Make sure a Docker engine answers on this machine."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from .run import LabError, log, run

DOCKERD_LOG = Path("/var/log/dockyard-lab-dockerd.log")


def engine_answers() -> bool:
    """True when `docker info` reaches a daemon."""
    if shutil.which("docker") is None:
        return False
    return run(["docker", "info", "--format", "{{.ServerVersion}}"], check=False).returncode == 0


def _systemd_is_pid1() -> bool:
    try:
        return Path("/proc/1/comm").read_text().strip() == "systemd"
    except OSError:
        return False


def ensure_engine(timeout: float = 60.0) -> str:
    """Install Debian's docker.io if dockerd is missing, start it, return the server version."""
    if not engine_answers():
        if shutil.which("dockerd") is None:
            log("no dockerd on this machine: installing Debian's docker.io")
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            for argv in (
                ["apt-get", "update", "-q"],
                ["apt-get", "install", "-y", "-q", "docker.io"],
            ):
                subprocess.run(argv, check=True, env=env)
        if _systemd_is_pid1():
            run(["systemctl", "start", "docker"])
        else:
            log(f"starting dockerd in the background (log: {DOCKERD_LOG})")
            with DOCKERD_LOG.open("ab") as out:
                subprocess.Popen(["dockerd"], stdout=out, stderr=out, start_new_session=True)
        deadline = time.monotonic() + timeout
        while not engine_answers():
            if time.monotonic() > deadline:
                raise LabError(f"dockerd did not answer within {timeout:.0f}s; see {DOCKERD_LOG}")
            time.sleep(0.5)
    version = run(["docker", "info", "--format", "{{.ServerVersion}}"]).stdout.strip()
    log(f"docker engine {version} answers")
    return version
