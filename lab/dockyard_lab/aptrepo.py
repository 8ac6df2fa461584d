"""A signed apt repository laid out like Docker's, served over HTTP on the lab network.

It lets the engine role's docker-ce path run for real offline: the role fetches the key,
checks its fingerprint, writes a deb822 source with Signed-By and installs from it. The
repository holds Debian's own engine packages (docker.io), downloaded per suite, and
packages under Docker's names and version scheme (docker-ce, docker-ce-cli, containerd.io,
docker-buildx-plugin, docker-compose-plugin: "5:26.1.5-1~debian.13~trixie") that carry no
files and depend on Debian's engine. So an inventory written for Docker's repository
installs unchanged from this one, only its address and key differ; what runs is Debian's
engine of that upstream version.
"""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Iterable
from pathlib import Path

from .images import SUITES
from .run import LabError, log, run
from .services import STATE_DIR, container_ip, ensure_service, wait_http

SERVICE = "dockyard-lab-aptrepo"
COMPONENT = "stable"
ARCH = "amd64"
PACKAGES = ("docker.io",)
KEY_UID = "dockyard lab repository <lab@dockyard.invalid>"


def repo_dir() -> Path:
    return STATE_DIR / "aptrepo"


def _gpg(*args: str) -> str:
    home = STATE_DIR / "gnupg"
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    return run(["gpg", "--batch", "--homedir", str(home), *args]).stdout


def ensure_key() -> str:
    """Generate the lab signing key once; export it as <repo>/gpg; return its fingerprint."""
    if "sec:" not in _gpg("--list-secret-keys", "--with-colons"):
        log("generating the lab repository signing key")
        _gpg("--passphrase", "", "--quick-gen-key", KEY_UID, "rsa3072", "sign", "never")
    colons = _gpg("--list-keys", "--with-colons", "--fingerprint")
    fingerprint = next(
        line.split(":")[9] for line in colons.splitlines() if line.startswith("fpr:")
    )
    (repo_dir() / "gpg").write_text(_gpg("--armor", "--export", fingerprint))
    (repo_dir() / "fingerprint").write_text(fingerprint + "\n")
    return fingerprint


def download(suite: str, pool: Path) -> None:
    """apt-get download the packages inside a server of the suite (its own versions)."""
    if any(pool.glob("*.deb")):
        return
    pool.mkdir(parents=True, exist_ok=True)
    log(f"aptrepo: downloading {', '.join(PACKAGES)} for {suite}")
    script = f"apt-get update -qq && cd /out && apt-get download -qq {' '.join(PACKAGES)}"
    run(
        [
            "docker",
            "run",
            "--rm",
            "--volume",
            f"{pool}:/out",
            f"dockyard-lab/server:{suite}",
            "sh",
            "-c",
            script,
        ]
    )
    if not any(pool.glob("*.deb")):
        raise LabError(f"no package downloaded for {suite}")


# Docker's package name -> what it depends on, per suite (absent: Docker publishes it, but
# Debian has nothing to stand behind it in that release).
SHIMS: dict[str, dict[str, str]] = {
    "bookworm": {
        "docker-ce": "docker.io (= {engine})",
        "docker-ce-cli": "docker.io (= {engine})",
        "containerd.io": "containerd",
    },
    "trixie": {
        "docker-ce": "docker.io (= {engine})",
        "docker-ce-cli": "docker-cli (= {engine})",
        "containerd.io": "containerd",
        "docker-buildx-plugin": "docker-buildx",
        "docker-compose-plugin": "docker-compose (>= 2)",
    },
}


def docker_version(debian_version: str, suite: str) -> str:
    """Docker's spelling of the engine version Debian packages: 26.1.5+dfsg1-9+b1 on trixie
    becomes 5:26.1.5-1~debian.13~trixie, as Docker's repository names its builds."""
    upstream = debian_version.split(":")[-1].split("+")[0].split("-")[0]
    return f"5:{upstream}-1~debian.{SUITES[suite]}~{suite}"


def control(name: str, version: str, depends: str) -> str:
    return (
        f"Package: {name}\nVersion: {version}\nArchitecture: all\n"
        "Maintainer: dockyard lab <lab@dockyard.invalid>\n"
        f"Depends: {depends}\nSection: admin\nPriority: optional\n"
        f"Description: lab stand-in for Docker's {name}\n"
        " No files: it installs Debian's package of the same upstream version.\n"
    )


def build_shims(suite: str, pool: Path) -> None:
    """Docker-named packages that depend on the suite's own, beside them in the pool."""
    engine_deb = next(pool.glob("docker.io_*.deb"))
    engine = run(["dpkg-deb", "--field", str(engine_deb), "Version"]).stdout.strip()
    version = docker_version(engine, suite)
    for name, depends in SHIMS.get(suite, {}).items():
        target = pool / f"{name}_{version.split(':')[-1]}_all.deb"
        if target.exists():
            continue
        tree = pool.parent / f".shim-{suite}-{name}"
        shutil.rmtree(tree, ignore_errors=True)
        (tree / "DEBIAN").mkdir(parents=True)
        (tree / "DEBIAN" / "control").write_text(
            control(name, version, depends.format(engine=engine))
        )
        run(["dpkg-deb", "--root-owner-group", "--build", str(tree), str(target)])
        shutil.rmtree(tree)


def index(suite: str) -> None:
    """Write Packages, Release, InRelease and Release.gpg for one suite."""
    if shutil.which("apt-ftparchive") is None:
        run(["apt-get", "install", "-y", "-q", "apt-utils"])
    root = repo_dir()
    dist = root / "dists" / suite
    binary = dist / COMPONENT / f"binary-{ARCH}"
    binary.mkdir(parents=True, exist_ok=True)
    packages = run(["apt-ftparchive", "packages", f"pool/{suite}"], cwd=root).stdout
    (binary / "Packages").write_text(packages)
    with gzip.open(binary / "Packages.gz", "wt") as out:
        out.write(packages)
    for stale in ("Release", "InRelease", "Release.gpg"):
        (dist / stale).unlink(missing_ok=True)
    opts = [
        f"-o=APT::FTPArchive::Release::{key}={value}"
        for key, value in (
            ("Origin", "dockyard-lab"),
            ("Suite", suite),
            ("Codename", suite),
            ("Components", COMPONENT),
            ("Architectures", ARCH),
        )
    ]
    (dist / "Release").write_text(run(["apt-ftparchive", *opts, "release", str(dist)]).stdout)
    _gpg("--yes", "--clearsign", "--output", str(dist / "InRelease"), str(dist / "Release"))
    _gpg(
        "--yes",
        "--armor",
        "--detach-sign",
        "--output",
        str(dist / "Release.gpg"),
        str(dist / "Release"),
    )


def ensure_aptrepo(suites: Iterable[str] = ("bookworm", "trixie")) -> str:
    """Build (once) and serve the repository; return its base URL on the lab network."""
    root = repo_dir()
    root.mkdir(parents=True, exist_ok=True)
    fingerprint = ensure_key()
    for suite in suites:
        download(suite, root / "pool" / suite)
        build_shims(suite, root / "pool" / suite)
        index(suite)
    root.chmod(0o755)
    ensure_service(
        SERVICE,
        ["python3", "-m", "http.server", "80", "--directory", "/srv/repo"],
        mounts=[f"{root}:/srv/repo:ro"],
    )
    wait_http(f"http://{container_ip(SERVICE)}/gpg")
    log(f"aptrepo: http://{SERVICE} serves {', '.join(suites)} signed by {fingerprint}")
    return f"http://{SERVICE}"
