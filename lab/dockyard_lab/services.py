"""Long-running lab services (package repositories, registries) as labelled containers."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from . import LABEL
from .run import LabError, log, run

NETWORK = "dockyard-lab"
SERVICE_IMAGE = "dockyard-lab/server:bookworm"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
STATE_DIR = PROJECT_ROOT / ".lab"


def ensure_network(name: str = NETWORK) -> None:
    """Create the lab's user-defined bridge network when it is missing."""
    if run(["docker", "network", "inspect", name], check=False).returncode != 0:
        run(["docker", "network", "create", "--label", f"{LABEL}=true", name])
        log(f"network {name} created")


def container_running(name: str) -> bool:
    proc = run(["docker", "inspect", "--format", "{{.State.Running}}", name], check=False)
    return proc.returncode == 0 and proc.stdout.strip() == "true"


def ensure_service(
    name: str,
    command: Sequence[str],
    *,
    image: str = SERVICE_IMAGE,
    mounts: Sequence[str] = (),
    publish: Sequence[str] = (),
) -> bool:
    """Start a labelled service container on the lab network; False when already running."""
    ensure_network()
    if container_running(name):
        return False
    run(["docker", "rm", "--force", name], check=False)
    argv = [
        "docker",
        "run",
        "--detach",
        "--name",
        name,
        "--network",
        NETWORK,
        "--label",
        f"{LABEL}=true",
        "--restart",
        "unless-stopped",
    ]
    for mount in mounts:
        argv += ["--volume", mount]
    for port in publish:
        argv += ["--publish", port]
    run([*argv, image, *command])
    log(f"service {name} started")
    return True


def container_ip(name: str, network: str = NETWORK) -> str:
    fmt = f'{{{{(index .NetworkSettings.Networks "{network}").IPAddress}}}}'
    return run(["docker", "inspect", "--format", fmt, name]).stdout.strip()


def wait_http(url: str, timeout: float = 30.0) -> None:
    """Wait until url answers any HTTP status below 500."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - lab URL
                return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
            last = str(exc)
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
        time.sleep(0.3)
    raise LabError(f"{url} did not answer within {timeout:.0f}s: {last}")
