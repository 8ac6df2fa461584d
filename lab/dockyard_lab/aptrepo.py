"""A signed apt repository laid out like Docker's, served over HTTP on the lab network.

It lets the engine role's docker-ce path run for real offline: the role fetches the key,
checks its fingerprint, writes a deb822 source with Signed-By and installs from it. The
repository holds Debian's own engine packages (docker.io), downloaded per suite.
"""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Iterable
from pathlib import Path

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
