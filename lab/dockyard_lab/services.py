"""Long-running lab services (package repositories, registries) as labelled containers."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from . import LABEL
from .run import LabError, log, run

NETWORK = "dockyard-lab"
SPEC_LABEL = f"{LABEL}.spec"
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
    """Start a labelled service container on the lab network; False when already running.

    A container of that name made from another spec (other mounts, e.g. by another clone
    of the project, another image or command) is replaced, and so is one whose mounted
    directory was removed and made anew at the same path (rm -rf .lab, a new clone in the
    same folder): a bind mount keeps serving the directory it was made from.
    """
    ensure_network()
    identities = [mount_identity(mount) for mount in mounts]
    blob = json.dumps([image, *command, *mounts, *identities, *publish]).encode()
    spec = hashlib.sha256(blob).hexdigest()[:16]
    if container_running(name) and container_label(name, SPEC_LABEL) == spec:
        return False
    run(["docker", "rm", "--force", name], check=False)
    argv = ["docker", "run", "--detach", "--name", name, "--network", NETWORK]
    argv += ["--label", f"{LABEL}=true", "--label", f"{SPEC_LABEL}={spec}"]
    argv += ["--restart", "unless-stopped"]
    for mount in mounts:
        argv += ["--volume", mount]
    for port in publish:
        argv += ["--publish", port]
    run([*argv, image, *command])
    log(f"service {name} started")
    return True


def mount_identity(mount: str) -> str:
    """A token kept in a bind mount's source directory ("" when it is not a host directory):
    a directory removed and made anew at the same path gets a new one, where its inode
    number could be reused."""
    source = Path(mount.split(":", 1)[0])
    if not source.is_absolute() or not source.is_dir():
        return ""
    marker = source / ".dockyard-mount"
    if not marker.exists():
        marker.write_text(secrets.token_hex(8) + "\n")
    return marker.read_text().strip()


def container_label(name: str, key: str) -> str | None:
    proc = run(["docker", "inspect", "--format", "{{json .Config.Labels}}", name], check=False)
    if proc.returncode != 0:
        return None
    value = (json.loads(proc.stdout or "null") or {}).get(key)
    return str(value) if value is not None else None


def container_ip(name: str, network: str = NETWORK) -> str:
    fmt = f'{{{{(index .NetworkSettings.Networks "{network}").IPAddress}}}}'
    return run(["docker", "inspect", "--format", fmt, name]).stdout.strip()


def wait_http(url: str, timeout: float = 30.0, *, ok_only: bool = False) -> None:
    """Wait until url answers any HTTP status below 500 (only 200 with ok_only)."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - lab URL
                if not ok_only or answer.status == 200:
                    return
                last = f"HTTP {answer.status}"
        except urllib.error.HTTPError as exc:
            if exc.code < 500 and not ok_only:
                return
            last = str(exc)
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
        time.sleep(0.3)
    raise LabError(f"{url} did not answer within {timeout:.0f}s: {last}")


def throwaway_secret(filename: str) -> str:
    """A lab service's throwaway secret under .lab/, generated once per lab (0600)."""
    path = STATE_DIR / filename
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(18))
        path.chmod(0o600)
    return path.read_text().strip()
