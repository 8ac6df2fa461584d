"""Server images built from debootstrap, cached by a digest of their recipe.

Nothing can be pulled on the lab machine, so every base image starts as a debootstrap
tree imported into the engine. An image carries the digest of the recipe that made it;
a build whose recipe digest matches the existing image's label is skipped.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import LABEL
from .run import LabError, log, run
from .services import STATE_DIR

RECIPE_LABEL = f"{LABEL}.recipe"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
BUILD_DIR = STATE_DIR / "build"
SUITES = {"bullseye": "11", "bookworm": "12", "trixie": "13"}

# What Ansible and systemd need on a bare server, nothing more: users' servers are
# reached over SSH (the lab's servers share the image's host keys: lab only).
SERVER_PACKAGES = (
    "openssh-server",
    "systemd",
    "systemd-sysv",
    "dbus",
    "python3",
    "sudo",
    "ca-certificates",
    "procps",
)

# Runs inside the new tree before it is imported. Part of the recipe digest.
# (docker import takes no STOPSIGNAL: containers get SIGRTMIN+3 when they are created.)
SERVER_SETUP = """\
set -eu
# A container gets its machine id at boot; an image must not carry one.
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id
# Units that cannot work in a container only make boots slower or 'degraded'.
for unit in systemd-modules-load.service getty@tty1.service console-getty.service \
            systemd-firstboot.service; do
  ln -sf /dev/null "/etc/systemd/system/$unit"
done
# Docker mounts /proc/sys read-only in unprivileged containers; a real server's is
# writable, and a nested engine needs it (Engine 26 sets sysctls in each new netns).
cat > /etc/systemd/system/lab-proc-sys-rw.service <<'UNIT'
[Unit]
Description=Make /proc/sys writable as on a real server (lab only)
DefaultDependencies=no
ConditionVirtualization=container
Before=sysinit.target

[Service]
Type=oneshot
ExecStart=/bin/mount -o remount,rw /proc/sys

[Install]
WantedBy=sysinit.target
UNIT
ln -sf /etc/systemd/system/lab-proc-sys-rw.service /etc/systemd/system/sysinit.target.wants/
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/*.log
"""


@dataclass(frozen=True)
class ServerRecipe:
    """How one lab server image is made."""

    suite: str
    mirror: str = DEFAULT_MIRROR
    packages: tuple[str, ...] = SERVER_PACKAGES
    setup: str = field(default=SERVER_SETUP, repr=False)

    @property
    def tag(self) -> str:
        return f"dockyard-lab/server:{self.suite}"

    def digest(self) -> str:
        """A stable digest of everything that shapes the image."""
        blob = json.dumps(asdict(self), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


# What the docker_engine role installs with docker_engine_source: distro (Debian's engine,
# its CLI where Debian 13 split it out, and Debian's SDK; no recommends, as the role).
ENGINE_PACKAGES = {
    "bullseye": ("docker.io", "python3-docker"),
    "bookworm": ("docker.io", "python3-docker"),
    "trixie": ("docker.io", "docker-cli", "python3-docker"),
}
# The suites whose Docker-host image scenarios use (make lab builds these).
DOCKER_HOST_SUITES = ("bookworm", "trixie")
# What a full distribution has and minbase lacks, on the Docker hosts: ss (iproute2), with
# which django_stack reads who listens on its ports through listen_ports_facts. The bare
# server images keep the minimal host's path (django_stack's own /proc reader).
FULL_HOST_PACKAGES = ("iproute2",)


@dataclass(frozen=True)
class DockerHostRecipe(ServerRecipe):
    """A server that is a Docker host already: for scenarios that test what comes after the
    engine's installation (the role still runs there, and finds the packages installed).
    Installing the engine on a bare server stays tested by the site, engine and compose
    scenarios, which start from the bare image."""

    packages: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.packages:
            engine = ENGINE_PACKAGES.get(self.suite, ())
            object.__setattr__(self, "packages", SERVER_PACKAGES + FULL_HOST_PACKAGES + engine)

    @property
    def tag(self) -> str:
        return f"dockyard-lab/docker-host:{self.suite}"


def image_label(tag: str, key: str) -> str | None:
    """The value of one label on a local image, or None when the image is absent."""
    proc = run(
        ["docker", "image", "inspect", "--format", "{{json .Config.Labels}}", tag], check=False
    )
    if proc.returncode != 0:
        return None
    labels = json.loads(proc.stdout or "null") or {}
    value = labels.get(key)
    return str(value) if value is not None else None


def is_current(recipe: ServerRecipe) -> bool:
    return image_label(recipe.tag, RECIPE_LABEL) == recipe.digest()


def import_tree(root: Path, tag: str, changes: Iterable[str]) -> None:
    """Import a root file system tree as an image, applying Dockerfile-style changes."""
    argv = ["docker", "import"]
    for change in changes:
        argv += ["--change", change]
    argv += ["-", tag]
    with subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE) as tar:
        run(argv, stdin=tar.stdout.fileno() if tar.stdout else None)
        if tar.wait() != 0:
            raise LabError(f"tar of {root} failed")


def build_server(recipe: ServerRecipe, workdir: Path) -> None:
    """debootstrap the suite, run the setup inside it, import it as the recipe's tag."""
    if shutil.which("debootstrap") is None:
        raise LabError("debootstrap is not installed: apt-get install debootstrap")
    root = Path(tempfile.mkdtemp(prefix=f"server-{recipe.suite}-", dir=workdir))
    try:
        log(f"{recipe.tag}: debootstrap {recipe.suite} (minbase + {len(recipe.packages)} packages)")
        run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(recipe.packages)}",
                recipe.suite,
                str(root),
                recipe.mirror,
            ]
        )
        run(["chroot", str(root), "/bin/sh", "-c", recipe.setup])
        import_tree(
            root,
            recipe.tag,
            [
                f'LABEL {LABEL}="true" {RECIPE_LABEL}="{recipe.digest()}"',
                "ENV container=docker",
                'CMD ["/lib/systemd/systemd"]',
            ],
        )
        log(f"{recipe.tag}: built (recipe {recipe.digest()})")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def ensure_servers(
    suites: Iterable[str],
    *,
    force: bool = False,
    workdir: Path | None = None,
    docker_hosts: Iterable[str] = (),
) -> list[str]:
    """Build the server images (and the Docker-host images of `docker_hosts`) that are
    missing or stale, all in parallel; return the ones built."""
    recipes = [ServerRecipe(suite) for suite in suites]
    recipes += [DockerHostRecipe(suite) for suite in docker_hosts]
    unknown = sorted({r.suite for r in recipes if r.suite not in SUITES})
    if unknown:
        raise LabError(f"unknown suite(s) {unknown}; known: {sorted(SUITES)}")
    stale = [r for r in recipes if force or not is_current(r)]
    for recipe in recipes:
        if recipe not in stale:
            log(f"{recipe.tag}: up to date (recipe {recipe.digest()})")
    if not stale:
        return []
    base = workdir or BUILD_DIR
    base.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=len(stale)) as pool:
        for future in [pool.submit(build_server, r, base) for r in stale]:
            future.result()
    return [r.tag for r in stale]


BUSYBOX_TAG = "dockyard-lab/busybox:latest"
BUSYBOX_SCRIPT = """\
set -eu
apt-get update -qq
cd /tmp && apt-get download -qq busybox-static
dpkg-deb -x busybox-static_*.deb /out/root
mkdir -p /out/root/usr/bin /out/root/sbin /out/root/usr/sbin
chroot /out/root /bin/busybox --install -s
"""


def ensure_busybox(workdir: Path | None = None) -> bool:
    """A tiny image (Debian's busybox-static) that lab servers load into their nested engine."""
    digest = hashlib.sha256(
        (ServerRecipe("bookworm").digest() + BUSYBOX_SCRIPT).encode()
    ).hexdigest()[:16]
    if image_label(BUSYBOX_TAG, RECIPE_LABEL) == digest:
        log(f"{BUSYBOX_TAG}: up to date (recipe {digest})")
        return False
    (workdir or BUILD_DIR).mkdir(parents=True, exist_ok=True)
    out = Path(tempfile.mkdtemp(prefix="busybox-", dir=workdir or BUILD_DIR))
    try:
        run(
            [
                "docker",
                "run",
                "--rm",
                "--volume",
                f"{out}:/out",
                ServerRecipe("bookworm").tag,
                "sh",
                "-c",
                BUSYBOX_SCRIPT,
            ]
        )
        import_tree(
            out / "root",
            BUSYBOX_TAG,
            [f'LABEL {LABEL}="true" {RECIPE_LABEL}="{digest}"', 'CMD ["/bin/sh"]'],
        )
        log(f"{BUSYBOX_TAG}: built (recipe {digest})")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return True
