"""Registries on the lab network: an open Docker Hub mirror and a private one with login.

Both run Debian's docker-registry (the CNCF distribution registry 2.8). The mirror holds
the lab's busybox as `library/busybox`, the name Docker Hub gives official images, so a
lab server whose engine lists the mirror can `docker pull busybox` with Docker Hub out of
reach. The private registry demands a login (htpasswd), as the tutorial's `host:5000` did.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from . import LABEL
from .images import BUSYBOX_TAG, RECIPE_LABEL, ServerRecipe, image_label
from .run import log, run
from .services import STATE_DIR, ensure_service, throwaway_secret, wait_http

IMAGE = "dockyard-lab/registry:latest"
DOCKERFILE = f"""\
FROM {ServerRecipe("bookworm").tag}
RUN apt-get update -qq \\
 && apt-get install -y -qq --no-install-recommends docker-registry apache2-utils \\
 && rm -rf /var/lib/apt/lists/*
EXPOSE 5000
CMD ["/usr/bin/docker-registry", "serve", "/etc/docker/registry/config.yml"]
"""
CONFIG = """\
version: 0.1
log:
  level: info
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: /var/lib/docker-registry
  delete:
    enabled: true
http:
  addr: :5000
"""
AUTH = """\
auth:
  htpasswd:
    realm: dockyard-lab
    path: /etc/docker/registry/htpasswd
"""


@dataclass(frozen=True)
class Registry:
    """One lab registry: its container name, host port and whether it needs a login."""

    name: str
    host_port: int
    private: bool = False

    @property
    def local(self) -> str:
        """How this machine's engine reaches it (127.0.0.0/8 needs no insecure-registries)."""
        return f"127.0.0.1:{self.host_port}"

    @property
    def state(self) -> Path:
        return STATE_DIR / self.name


MIRROR = Registry("dockyard-lab-mirror", 15000)
PRIVATE = Registry("dockyard-lab-private", 15001, private=True)
PRIVATE_USER = "dockyard"


def ensure_image() -> None:
    digest = hashlib.sha256((DOCKERFILE + ServerRecipe("bookworm").digest()).encode()).hexdigest()[
        :16
    ]
    if image_label(IMAGE, RECIPE_LABEL) == digest:
        return
    log(f"{IMAGE}: building (Debian's docker-registry)")
    subprocess.run(
        [
            "docker",
            "build",
            "--quiet",
            "--label",
            f"{LABEL}=true",
            "--label",
            f"{RECIPE_LABEL}={digest}",
            "--tag",
            IMAGE,
            "-",
        ],
        input=DOCKERFILE,
        text=True,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def private_password() -> str:
    """The private registry's throwaway password, generated once per lab."""
    return throwaway_secret("private-registry-password")


def ensure_registry(registry: Registry) -> None:
    registry.state.mkdir(parents=True, exist_ok=True)
    config = CONFIG + (AUTH if registry.private else "")
    (registry.state / "config.yml").write_text(config)
    if registry.private:
        htpasswd = run(
            ["docker", "run", "--rm", IMAGE, "htpasswd", "-Bbn", PRIVATE_USER, private_password()]
        ).stdout
        htfile = registry.state / "htpasswd"
        if not htfile.exists() or htfile.read_text().split(":")[0] != PRIVATE_USER:
            htfile.write_text(htpasswd)
    volume = f"{registry.name}-data"
    if run(["docker", "volume", "inspect", volume], check=False).returncode != 0:
        run(["docker", "volume", "create", "--label", f"{LABEL}=true", volume])
    ensure_service(
        registry.name,
        [],
        image=IMAGE,
        mounts=[f"{registry.state}:/etc/docker/registry:ro", f"{volume}:/var/lib/docker-registry"],
        publish=[f"{registry.local}:5000"],
    )
    wait_http(f"http://{registry.local}/v2/")


def has_tag(registry: Registry, repository: str, tag: str) -> bool:
    request = urllib.request.Request(f"http://{registry.local}/v2/{repository}/tags/list")
    if registry.private:
        token = base64.b64encode(f"{PRIVATE_USER}:{private_password()}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - lab URL
            return tag in (json.load(answer).get("tags") or [])
    except urllib.error.HTTPError:
        return False


def push(
    registry: Registry, source: str, repository: str, tag: str = "latest", *, force: bool = False
) -> None:
    """Push a local image as <repository>:<tag> unless the registry holds it (or force)."""
    if not force and has_tag(registry, repository, tag):
        return
    target = f"{registry.local}/{repository}:{tag}"
    if registry.private:
        subprocess.run(
            ["docker", "login", "--username", PRIVATE_USER, "--password-stdin", registry.local],
            input=private_password(),
            text=True,
            check=True,
            capture_output=True,
        )
    run(["docker", "tag", source, target])
    run(["docker", "push", target])
    run(["docker", "rmi", target])
    log(f"pushed {source} as {registry.name}:5000/{repository}:{tag}")


def ensure_registries() -> None:
    ensure_image()
    for registry in (MIRROR, PRIVATE):
        ensure_registry(registry)
    push(MIRROR, BUSYBOX_TAG, "library/busybox")
    push(PRIVATE, BUSYBOX_TAG, "lab/busybox")
