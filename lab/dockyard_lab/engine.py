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
    # Some clients exit 0 with an empty version when no daemon answers.
    out = run(["docker", "info", "--format", "{{.ServerVersion}}"], check=False)
    return out.returncode == 0 and out.stdout.strip() != ""


def _systemd_is_pid1() -> bool:
    try:
        return Path("/proc/1/comm").read_text().strip() == "systemd"
    except OSError:
        return False


# Packages that hold a Docker engine: whichever of them is installed is the machine's own
# Docker, and installing another one would make apt remove it.
ENGINE_PACKAGES = ("docker.io", "docker-ce", "moby-engine", "docker-engine")
# What the lab needs besides an engine: image building and the apt repository.
HOST_PACKAGES = ("debootstrap", "apt-utils", "gnupg", "make")
# The browser the examples scenario drives (make molecule only; make demo never installs it),
# and a font with Chinese glyphs for its screenshots.
BROWSER_PACKAGES = ("chromium", "chromium-driver", "fonts-wqy-zenhei")


def installed_packages(names: tuple[str, ...]) -> set[str]:
    """Which of the names dpkg knows as installed (an empty set where there is no dpkg)."""
    if shutil.which("dpkg-query") is None:
        return set()
    out = run(["dpkg-query", "--show", "--showformat", "${Package} ${db:Status-Status}\\n", *names],
              check=False)  # fmt: skip
    return {line.split()[0] for line in out.stdout.splitlines() if line.endswith(" installed")}


def engine_plan(*, answers: bool, has_cli: bool, has_dockerd: bool, installed: set[str]) -> str:
    """What getting an engine takes: "use" one that answers, "start" the one installed, or
    "install" Debian's docker.io where there is none. Never installs an engine package beside
    another one: the machine's own Docker is kept, and what it lacks is named instead."""
    if answers:
        return "use"
    if not has_cli and (has_dockerd or installed):
        found = ", ".join(sorted(installed)) or "dockerd"
        raise LabError(
            f"this machine has a Docker engine ({found}) but no "
            "docker command: install its CLI (docker-ce-cli for Docker's packages, docker-cli "
            "or docker.io for Debian's). Nothing was installed."
        )
    if has_dockerd:
        return "start"
    if installed:
        raise LabError(
            f"{', '.join(sorted(installed))} is installed but there is no dockerd: repair that "
            "package (apt-get install --reinstall); the lab never installs another engine "
            "beside it. Nothing was installed."
        )
    return "install"


def ensure_host_packages() -> None:
    """Install what the lab needs that is missing; engines are ensure_engine's business."""
    missing = [name for name in HOST_PACKAGES if name not in installed_packages(HOST_PACKAGES)]
    if missing:
        log(f"installing host packages: {' '.join(missing)}")
        _apt_install(missing)


def ensure_browser_packages() -> None:
    """Debian's chromium and its driver, for the browser tests."""
    missing = [n for n in BROWSER_PACKAGES if n not in installed_packages(BROWSER_PACKAGES)]
    if missing:
        log(f"installing the browser: {' '.join(missing)}")
        _apt_install(missing, recommends=False)


def _apt_install(names: list[str], *, recommends: bool = True) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q"]
    if not recommends:
        install.append("--no-install-recommends")
    for argv in (["apt-get", "update", "-q"], [*install, *names]):
        subprocess.run(argv, check=True, env=env)


def ensure_engine(timeout: float = 60.0) -> str:
    """Use the engine that answers, else start the one installed, else install Debian's
    docker.io (only where no engine package is installed); return the server version."""
    plan = engine_plan(
        answers=engine_answers(),
        has_cli=shutil.which("docker") is not None,
        has_dockerd=shutil.which("dockerd") is not None,
        installed=installed_packages(ENGINE_PACKAGES),
    )
    if plan != "use":
        if plan == "install":
            log("no Docker engine on this machine: installing Debian's docker.io")
            _apt_install(["docker.io"])
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
