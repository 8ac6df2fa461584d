"""`make host-deps` on a machine with Docker's own packages: nothing is replaced.

A trixie lab server gets docker-ce and docker-ce-cli from the lab's signed repository (laid
out as Docker's), then runs the lab's host-deps step (`python3 -m dockyard_lab host-deps`,
what `make host-deps` runs), once with the engine running and once with it stopped. Debian's
docker.io would make apt remove docker-ce; it must never be installed there.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from dockyard_lab import aptrepo, images, servers

ROOT = Path(__file__).resolve().parents[2]
SERVER = "dockyard-lab-hostdeps"


def on(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", "exec", SERVER, *argv], capture_output=True, text=True,
                          check=check)  # fmt: skip


def installed() -> set[str]:
    out = on("dpkg-query", "--show", "--showformat", "${Package} ${db:Status-Status}\\n")
    return {line.split()[0] for line in out.stdout.splitlines() if line.endswith(" installed")}


@pytest.fixture(scope="module")
def server_with_docker_ce() -> Iterator[str]:
    images.ensure_servers(["trixie"])
    url = aptrepo.ensure_aptrepo()
    servers.start_server(SERVER, "dockyard-lab/server:trixie")
    try:
        key = aptrepo.repo_dir() / "gpg"
        subprocess.run(["docker", "cp", str(key), f"{SERVER}:/etc/apt/lab.asc"], check=True)
        on("sh", "-c", f"echo 'deb [signed-by=/etc/apt/lab.asc] {url} trixie stable' "
           "> /etc/apt/sources.list.d/lab.list")  # fmt: skip
        on("sh", "-c", "apt-get update -q && DEBIAN_FRONTEND=noninteractive "
           "apt-get install -y -q --no-install-recommends docker-ce docker-ce-cli")  # fmt: skip
        subprocess.run(["docker", "cp", str(ROOT / "lab"), f"{SERVER}:/root/lab"], check=True)
        yield SERVER
    finally:
        servers.remove_server(SERVER)


@pytest.mark.parametrize("engine", ["running", "stopped"])
def test_host_deps_keeps_dockers_own_packages(server_with_docker_ce: str, engine: str) -> None:
    if engine == "stopped":
        on("systemctl", "stop", "docker.socket", "docker.service")
    before = installed()
    assert {"docker-ce", "docker-ce-cli"} <= before and "docker.io" not in before
    out = on("sh", "-c", "cd /root && PYTHONPATH=/root/lab python3 -m dockyard_lab host-deps 2>&1",
             check=False)  # fmt: skip
    assert out.returncode == 0, out.stdout
    after = installed()
    assert before - after == set(), "no package was removed"
    assert "docker.io" not in after
    assert {"debootstrap", "gnupg", "make"} <= after
    assert "installing Debian's docker.io" not in out.stdout
    assert on("docker", "info", "--format", "{{.ServerVersion}}").stdout.startswith("26.1.5")
