"""Another project uses the roles as the built collection, by their fully qualified names.

The collection is built from this repository, installed into a temporary collections path,
and a playbook in a folder outside the repository (no ansible.cfg, no roles path of ours)
turns a fresh lab server into a Docker host with a registry mirror.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from dockyard_lab import images, servers

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SERVER = "dockyard-lab-consumer"
MIRROR = "http://dockyard-lab-mirror:5000"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    images.ensure_servers(["trixie"])
    servers.start_server(SERVER, images.ServerRecipe("trixie").tag)
    try:
        yield SERVER
    finally:
        servers.remove_server(SERVER)


def test_a_playbook_elsewhere_uses_the_installed_collection(server: str, tmp_path: Path) -> None:
    built = tmp_path / "built"
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(built),
                    str(ROOT)], check=True, capture_output=True)  # fmt: skip
    (archive,) = built.glob("*.tar.gz")
    collections = tmp_path / "collections"
    # --force: a copy in ~/.ansible/collections (ansible-lint puts one there) would make
    # ansible-galaxy skip the install as "already installed".
    install = ["collection", "install", "--no-deps", "--force", "-p", str(collections)]
    subprocess.run([str(BIN / "ansible-galaxy"), *install, str(archive)], check=True,
                   capture_output=True)  # fmt: skip

    project = tmp_path / "consumer"
    project.mkdir()
    (project / "inventory.yml").write_text(yaml.safe_dump({"all": {"hosts": {server: {
        "ansible_connection": "community.docker.docker",
        "docker_engine_source": "distro",
        "docker_daemon_registry_mirrors": [MIRROR],
    }}}}))  # fmt: skip
    (project / "playbook.yml").write_text(yaml.safe_dump([{
        "name": "Docker host from the collection",
        "hosts": "all",
        "roles": ["dockyard_blog.hosts.docker_engine", "dockyard_blog.hosts.docker_daemon",
                  "dockyard_blog.hosts.docker_compose"],
    }]))  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env |= {"ANSIBLE_COLLECTIONS_PATH": str(collections), "ANSIBLE_NOCOLOR": "1"}
    argv = [str(BIN / "ansible-playbook"), "-i", "inventory.yml", "playbook.yml"]
    run = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "dockyard_blog.hosts.docker_daemon : " in run.stdout
    assert (
        str(collections)
        in subprocess.run(
            [str(BIN / "ansible-galaxy"), "collection", "list", "dockyard_blog.hosts"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )

    info = subprocess.run(["docker", "exec", server, "docker", "info", "--format",
                           "{{json .RegistryConfig.Mirrors}}"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert json.loads(info.stdout) == [MIRROR + "/"]
    compose = subprocess.run(["docker", "exec", server, "docker", "compose", "version"],
                             capture_output=True, text=True, check=False)  # fmt: skip
    assert compose.returncode == 0, compose.stderr
