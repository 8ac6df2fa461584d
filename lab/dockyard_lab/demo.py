"""The demo's two lab servers, owned by the throwaway secrets they were deployed with.

A lab server's database is created with the secrets under `.lab/secrets` of the clone that
deployed it. Another clone (or the same one after `rm -rf .lab`) has other secrets, and its
deploy would rightly stop at "the configured passwords do not open the existing database".
The demo's data is throwaway by definition, so each server carries a label naming the
secrets it was deployed with, and a demo with other secrets replaces it after saying so.
"""

from __future__ import annotations

import hashlib
import secrets
import string
from collections.abc import Sequence
from pathlib import Path

from . import images, servers
from .run import log
from .services import STATE_DIR, container_label

# The lab inventory's servers (inventory/lab/hosts.yml) and the host port of each blog.
DEMO_SERVERS = (("lab-server-1", 18000), ("lab-server-2", 18001))
OWNER_LABEL = "dockyard.lab.demo-secrets"
# The files inventory/lab/group_vars/lab/main.yml's password lookups read, and their length.
SECRET_LENGTHS = {"db-password": 32, "db-root-password": 32, "django-secret-key": 50}
# ansible.builtin.password's default characters.
ALPHABET = string.ascii_letters + string.digits + ".,:-_"


def ensure_secrets(state: Path = STATE_DIR) -> str:
    """Create the missing throwaway secrets, as the inventory's lookups would; return a
    digest that names this set (never the secrets themselves)."""
    folder = state / "secrets"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name, length in SECRET_LENGTHS.items():
        path = folder / name
        if not path.exists():
            path.write_text("".join(secrets.choice(ALPHABET) for _ in range(length)) + "\n")
            path.chmod(0o600)
    return secrets_owner(state)


def secrets_owner(state: Path = STATE_DIR) -> str:
    """The digest that names the existing secrets under state (FileNotFoundError when one
    is missing): what the demo's servers are labelled with."""
    digest = hashlib.sha256()
    for name in sorted(SECRET_LENGTHS):
        path = state / "secrets" / name
        digest.update(name.encode() + b"\0" + path.read_bytes().strip() + b"\0")
    return digest.hexdigest()[:16]


def stale_servers(owner: str, names: Sequence[str]) -> list[str]:
    """The existing servers deployed with other secrets (or by a lab without the label)."""
    stale = []
    for name in names:
        found = container_label(name, OWNER_LABEL)
        exists = found is not None or container_label(name, "dockyard.lab") is not None
        if exists and found != owner:
            stale.append(name)
    return stale


def demo_up(state: Path = STATE_DIR) -> None:
    """Start the demo's servers, replacing any that another set of secrets deployed."""
    owner = ensure_secrets(state)
    names = [name for name, _ in DEMO_SERVERS]
    for name in stale_servers(owner, names):
        log(
            f"{name} holds a demo deployed with other secrets (another clone of the project, "
            f"or .lab/ removed): its data is the demo's throwaway data, so it is replaced"
        )
        servers.remove_server(name)
    for name, port in DEMO_SERVERS:
        servers.start_server(
            name,
            images.ServerRecipe("trixie").tag,
            publish=[f"127.0.0.1:{port}:8000"],
            labels=[f"{OWNER_LABEL}={owner}"],
        )
