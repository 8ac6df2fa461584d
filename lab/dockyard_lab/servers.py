"""Lab servers: systemd as PID 1 in unprivileged containers, each with its own engine volume.

`--privileged` fails on the lab machine (no CAP_SYS_RESOURCE in its bounding set), so a
server gets every capability except SYS_RESOURCE, no seccomp/apparmor confinement, the
host's cgroup tree and tmpfs /run. /var/lib/docker is a volume so a nested engine gets
overlay2 instead of vfs. Molecule's create/destroy playbooks and the demo both call this.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from . import LABEL
from .run import LabError, log, run
from .services import NETWORK, container_running, ensure_network

SYSTEMD_OPTIONS = (
    "--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE",
    "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
    "--cgroupns", "host", "--volume", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
    "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp",  # noqa: S108 - in the server
    "--stop-signal", "SIGRTMIN+3", "--env", "container=docker",
)  # fmt: skip


def server_argv(
    name: str,
    image: str,
    *,
    publish: Sequence[str] = (),
    labels: Sequence[str] = (),
    command: Sequence[str] = ("/lib/systemd/systemd",),
) -> list[str]:
    """The `docker run` command line of one lab server."""
    argv = ["docker", "run", "--detach", "--name", name, "--hostname", name]
    argv += ["--network", NETWORK, "--label", f"{LABEL}=true", *SYSTEMD_OPTIONS]
    argv += ["--volume", f"{name}-docker:/var/lib/docker"]
    for label in labels:
        argv += ["--label", label]
    for port in publish:
        argv += ["--publish", port]
    return [*argv, image, *command]


def wait_booted(name: str, timeout: float = 90.0) -> str:
    """Wait for systemd to finish booting; 'degraded' counts (units unfit for containers)."""
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        proc = run(
            ["docker", "exec", name, "systemctl", "is-system-running", "--wait"], check=False
        )
        state = proc.stdout.strip()
        if state in ("running", "degraded"):
            return state
        time.sleep(1)
    raise LabError(f"{name}: systemd did not finish booting within {timeout:.0f}s ({state!r})")


def start_server(
    name: str,
    image: str,
    *,
    publish: Sequence[str] = (),
    labels: Sequence[str] = (),
    command: Sequence[str] = ("/lib/systemd/systemd",),
) -> bool:
    """Start a lab server unless it runs already; True when one was started."""
    ensure_network()
    if container_running(name):
        return False
    run(["docker", "rm", "--force", name], check=False)
    if run(["docker", "volume", "inspect", f"{name}-docker"], check=False).returncode != 0:
        run(["docker", "volume", "create", "--label", f"{LABEL}=true", f"{name}-docker"])
    run(server_argv(name, image, publish=publish, labels=labels, command=command))
    state = wait_booted(name)
    log(f"server {name} ({image}) booted: {state}")
    return True


def remove_server(name: str) -> None:
    """Remove a lab server and its engine volume."""
    run(["docker", "rm", "--force", "--volumes", name], check=False)
    run(["docker", "volume", "rm", "--force", f"{name}-docker"], check=False)
