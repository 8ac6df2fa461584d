"""A swarm formed from the inventory: nodes, labels, traffic across nodes, refusals."""

import json
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from lab_testing import (
    ansible_playbook,
    assert_came_over_ssh_with_sudo,
    assert_changed_nothing,
    failure_message,
    host_file_digest,
    http_get,
    lab_server,
    verbose_rerun,
)

NODES = ("swarm-1", "swarm-2", "swarm-3")
PORT = 18080  # the probe service's host-mode port on every node


def name(host):
    return host.backend.get_hostname()


@pytest.fixture
def manager(host):
    """A root shell in swarm-1's container, for looking (the playbooks come over SSH)."""
    if name(host) != "swarm-1":
        pytest.skip("asked once, of the manager")
    return lab_server(name(host))


def lab_address(node):
    """The node's address on the lab network, as this machine reaches it."""
    fmt = '{{(index .NetworkSettings.Networks "dockyard-lab").IPAddress}}'
    return subprocess.run(
        ["docker", "inspect", "--format", fmt, node], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_ansible_came_over_ssh_as_deploy_and_became_root_with_sudo(host):
    assert_came_over_ssh_with_sudo(lab_server(name(host)))


def test_every_node_is_ready_and_swarm_1_leads(manager):
    rows = manager.check_output(
        "docker node ls --format '{{.Hostname}} {{.Status}} {{.Availability}} {{.ManagerStatus}}'"
    ).splitlines()
    assert sorted(rows) == [
        "swarm-1 Ready Active Leader",
        "swarm-2 Ready Active Reachable",
        "swarm-3 Ready Active Reachable",
    ]


def test_node_labels_come_from_the_inventory(manager):
    labels = {
        node: json.loads(
            manager.check_output(f"docker node inspect --format '{{{{json .Spec.Labels}}}}' {node}")
        )
        for node in NODES
    }
    assert labels == {"swarm-1": {"blog.db": "true"}, "swarm-2": {}, "swarm-3": {}}


@pytest.fixture
def probe(manager):
    """A global busybox web server on an overlay network: one task per node, host-mode port."""
    manager.run_expect([0], "docker network create --driver overlay --attachable probe-net")
    manager.run_expect(
        [0],
        "docker service create --detach --name probe --mode global --network probe-net"
        f" --endpoint-mode dnsrr --publish mode=host,published={PORT},target=8080"
        " busybox:latest sh -c 'mkdir -p /www && hostname > /www/index.html"
        " && exec httpd -f -p 8080 -h /www'",
    )
    yield manager
    manager.run("docker service rm probe")
    time.sleep(5)  # tasks stop before their network can go
    manager.run("docker network rm probe-net")


def get(url, timeout=90):
    return http_get(url, timeout, read_timeout=3)[1].strip()


def test_a_global_service_answers_on_every_node_and_across_the_overlay(probe):
    # Each node's host-mode port answers with the task running on that node.
    answers = {node: get(f"http://{lab_address(node)}:{PORT}/") for node in NODES}
    assert len(set(answers.values())) == 3, answers
    # From the task on swarm-1, every task (one per node) answers over the overlay network.
    task = probe.check_output(
        "docker ps --quiet --filter label=com.docker.swarm.service.name=probe"
    )
    lookup = probe.check_output(f"docker exec {task} nslookup tasks.probe")
    # busybox prints the DNS server as "Address: 127.0.0.11:53", then one line per task.
    addresses = [
        line.split()[-1]
        for line in lookup.splitlines()
        if line.startswith("Address") and ":" not in line.split()[-1]
    ]
    assert len(addresses) == 3, addresses
    # busybox-static's wget crashes (a static glibc's resolver); its nc speaks HTTP/1.0 fine.
    request = "printf 'GET / HTTP/1.0\\r\\n\\r\\n'"
    seen = {
        probe.check_output(
            f'docker exec {task} sh -c "{request} | nc -w 5 {address} 8080"'
        ).splitlines()[-1]
        for address in addresses
    }
    assert seen == set(answers.values())


def test_a_rerun_changes_nothing_and_prints_no_token(manager):
    # The -vv re-run test_blog.py made first (the same run: one per session).
    result = verbose_rerun("converge.yml", "all")
    assert_changed_nothing(result, NODES)
    assert "task path:" in result.stdout
    assert "SWMTKN-" not in result.stdout


def refused(manager, extra_vars=None, args=()):
    before = {
        "daemon.json": host_file_digest(manager, "/etc/docker/daemon.json"),
        "nodes": manager.check_output("docker node ls --format '{{.Hostname}} {{.ManagerStatus}}'"),
    }
    result = ansible_playbook("converge.yml", limit="all", extra_vars=extra_vars, args=args)
    assert result.returncode != 0
    assert "Nothing was changed" in failure_message(result.stdout)
    assert "docker_engine :" not in result.stdout  # stopped before the first role
    assert before == {
        "daemon.json": host_file_digest(manager, "/etc/docker/daemon.json"),
        "nodes": manager.check_output("docker node ls --format '{{.Hostname}} {{.ManagerStatus}}'"),
    }
    return failure_message(result.stdout)


def test_a_node_in_both_groups_is_refused(manager):
    # (An even number of managers is refused too: tests/unit/test_preflight.py.)
    with tempfile.TemporaryDirectory() as folder:
        extra = Path(folder) / "also-a-worker.yml"
        extra.write_text("swarm_workers:\n  hosts:\n    swarm-2:\n")
        said = refused(manager, args=("--inventory", str(extra)))
    assert "swarm-2 is in both swarm_managers and swarm_workers" in said, said


def test_live_restore_on_a_swarm_node_is_refused(manager):
    said = refused(manager, extra_vars={"docker_daemon_live_restore": True})
    assert "dockerd refuses swarm mode with live-restore" in said, said
