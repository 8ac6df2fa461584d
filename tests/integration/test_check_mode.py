"""A dry run of site.yml (--check --diff) on a fresh server: it finishes, says where it
stops and why, and changes nothing. (On a converged server, molecule/site and
molecule/examples check that a dry run reports changed=0.)"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from dockyard_lab import images, servers

ROOT = Path(__file__).resolve().parents[2]
SERVER = "dockyard-lab-checkfresh"


@pytest.fixture(scope="module")
def fresh_server() -> Iterator[str]:
    images.ensure_servers(["trixie"])
    servers.remove_server(SERVER)
    servers.start_server(SERVER, "dockyard-lab/server:trixie")
    try:
        yield SERVER
    finally:
        servers.remove_server(SERVER)


def on(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", "exec", SERVER, *argv], capture_output=True, text=True,
                          check=False)  # fmt: skip


def test_a_dry_run_of_a_fresh_server_finishes_and_changes_nothing(
    fresh_server: str, tmp_path: Path
) -> None:
    # The lab environment's values, for one server of this test's own.
    hosts = {"all": {"vars": {"dockyard_lab_root": str(ROOT)}, "children": {"lab": {
        "vars": {"ansible_connection": "community.docker.docker"},
        "children": {group: {"hosts": {fresh_server: None}}
                     for group in ("docker_hosts", "blog", "lab_build")}}}}}  # fmt: skip
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(hosts))
    (tmp_path / "group_vars").symlink_to(ROOT / "inventory" / "lab" / "group_vars")
    before = on("dpkg-query", "--show", "--showformat", "${Package}\\n").stdout
    out = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(tmp_path), "site.yml",
         "--check", "--diff"],
        cwd=ROOT, capture_output=True, text=True, check=False,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1"},
    )  # fmt: skip
    recap = next(x for x in out.stdout.splitlines() if x.startswith(f"{fresh_server} "))
    assert out.returncode == 0, out.stdout[-3000:]
    assert " failed=0 " in recap and " changed=0 " in recap, recap
    assert "has no Docker engine yet. A real run would install docker.io, docker-cli" in out.stdout
    assert "has no Compose yet" in out.stdout
    assert on("dpkg-query", "--show", "--showformat", "${Package}\\n").stdout == before
    assert on("test", "-e", "/etc/docker").returncode != 0
    assert on("test", "-e", "/opt/blog").returncode != 0
