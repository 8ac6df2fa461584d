"""A signed apt repository laid out like Docker's, served over HTTP on the lab network.

It lets the engine role's docker-ce path run for real offline: the role fetches the key,
checks its fingerprint, writes a deb822 source with Signed-By and installs from it. The
repository holds Debian's own engine packages (docker.io), downloaded per suite. For
trixie it also holds Debian's engine under Docker's names and version scheme, so an
inventory written for Docker's repository installs unchanged from this one (only the
address and key differ): docker-ce and docker-ce-cli are Debian's docker.io and docker-cli
renamed ("5:26.1.5-1~debian.13~trixie"), containerd.io, docker-buildx-plugin and
docker-compose-plugin are empty packages that depend on Debian's containerd,
docker-buildx and docker-compose (Compose v2).
"""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .images import SUITES
from .run import LabError, log, run
from .services import STATE_DIR, container_ip, ensure_service, wait_http

SERVICE = "dockyard-lab-aptrepo"
COMPONENT = "stable"
ARCH = "amd64"
PACKAGES = ("docker.io",)
# Per suite: Debian's package -> Docker's name, rebuilt with Docker's name and version.
RENAMED: dict[str, dict[str, str]] = {
    "trixie": {"docker.io": "docker-ce", "docker-cli": "docker-ce-cli"}
}
# Per suite: Docker's name -> the Debian package an empty package of that name depends on.
THIN: dict[str, dict[str, str]] = {
    "trixie": {
        "containerd.io": "containerd",
        "docker-buildx-plugin": "docker-buildx",
        "docker-compose-plugin": "docker-compose",
    }
}


def suite_packages(suite: str) -> tuple[str, ...]:
    """What to download for a suite: the engine, and what Docker-named packages stand for."""
    wanted = [*PACKAGES, *RENAMED.get(suite, {}), *THIN.get(suite, {}).values()]
    return tuple(dict.fromkeys(wanted))


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
    missing = [name for name in suite_packages(suite) if not any(pool.glob(f"{name}_*.deb"))]
    if not missing:
        return
    pool.mkdir(parents=True, exist_ok=True)
    packages = " ".join(missing)
    log(f"aptrepo: downloading {packages} for {suite}")
    script = f"apt-get update -qq && cd /out && apt-get download -qq {packages}"
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
    if not all(any(pool.glob(f"{name}_*.deb")) for name in suite_packages(suite)):
        raise LabError(f"not every package of {suite} was downloaded: {packages}")


def upstream(debian_version: str) -> str:
    """26.1.5 of 26.1.5+dfsg1-9+b1, 1.7.24 of 1.7.24~ds1-6, 27.0.1 of 1:27.0.1-2."""
    return debian_version.split(":")[-1].split("+")[0].split("~")[0].split("-")[0]


def docker_version(debian_version: str, suite: str, *, epoch: bool = True) -> str:
    """Docker's spelling of the version Debian packages: 26.1.5+dfsg1-9+b1 on trixie
    becomes 5:26.1.5-1~debian.13~trixie, as Docker's repository names its engine builds."""
    version = f"{upstream(debian_version)}-1~debian.{SUITES[suite]}~{suite}"
    return f"5:{version}" if epoch else version


def parse_control(text: str) -> dict[str, str]:
    """A deb control file's fields (continuation lines kept with their field)."""
    fields: dict[str, str] = {}
    key = ""
    for line in text.splitlines():
        if line[:1] in {" ", "\t"} and key:
            fields[key] += "\n" + line
        elif ":" in line:
            key, value = line.split(":", 1)
            fields[key] = value.strip()
    return fields


def format_control(fields: dict[str, str]) -> str:
    return "".join(f"{key}: {value}\n" for key, value in fields.items() if value)


def without(relations: str, names: set[str]) -> str:
    """A Depends-style list with the relations on `names` removed."""
    kept = [r.strip() for r in relations.split(",") if r.strip().split(" ")[0] not in names]
    return ", ".join(r for r in kept if r)


def renamed_control(fields: dict[str, str], name: str, version: str, original: str) -> str:
    """Debian's package as Docker's: its name and version, no conflict with Docker's names,
    and in their place a conflict with the Debian package it was made from."""
    docker_names = {"docker-ce", "docker-ce-cli", "docker-ce-rootless-extras"}
    renamed = {
        **fields,
        "Package": name,
        "Version": version,
        "Conflicts": ", ".join(
            filter(None, [without(fields.get("Conflicts", ""), docker_names), original])
        ),
        "Replaces": ", ".join(filter(None, [fields.get("Replaces", ""), original])),
        # Debian's packages recommend the original (docker-compose recommends docker-cli):
        # providing it keeps apt from installing the original, which would remove this one.
        "Provides": ", ".join(
            filter(
                None, [fields.get("Provides", ""), f"{original} (= {fields.get('Version', '')})"]
            )
        ),
        "Recommends": fields.get("Recommends", "").replace("docker-cli", "docker-ce-cli"),
        "Description": f"{original} from Debian, under Docker's name (dockyard lab)\n"
        f" Debian's {original} {fields.get('Version', '')}, renamed so an inventory written\n"
        " for Docker's repository installs it unchanged.",
    }
    renamed.pop("Source", None)
    return format_control(renamed)


def thin_control(name: str, version: str, depends: str) -> str:
    return format_control(
        {
            "Package": name,
            "Version": version,
            "Architecture": "all",
            "Maintainer": "dockyard lab <lab@dockyard.invalid>",
            "Depends": depends,
            "Section": "admin",
            "Priority": "optional",
            "Description": f"lab stand-in for Docker's {name}\n"
            f" No files: it depends on Debian's {depends.split(' ')[0]}.",
        }
    )


def replace_build(pool: Path, name: str, target: Path) -> bool:
    """True when `target` must be built; removes other builds of `name` (older recipes)."""
    for stale in pool.glob(f"{name}_*.deb"):
        if stale != target:
            stale.unlink()
    return not target.exists()


def deb_version(deb: Path) -> str:
    return run(["dpkg-deb", "--field", str(deb), "Version"]).stdout.strip()


def build_docker_named(suite: str, pool: Path) -> None:
    """Docker-named packages beside Debian's in the pool (once per version)."""
    for original, name in RENAMED.get(suite, {}).items():
        source = next(pool.glob(f"{original}_*.deb"))
        version = docker_version(deb_version(source), suite)
        target = pool / f"{name}_{version.split(':')[-1]}_amd64.deb"
        if not replace_build(pool, name, target):
            continue
        tree = pool.parent / f".build-{suite}-{name}"
        shutil.rmtree(tree, ignore_errors=True)
        run(["dpkg-deb", "--raw-extract", str(source), str(tree)])
        control = tree / "DEBIAN" / "control"
        control.write_text(
            renamed_control(parse_control(control.read_text()), name, version, original)
        )
        run(["dpkg-deb", "--root-owner-group", "--build", str(tree), str(target)])
        shutil.rmtree(tree)
    for name, depends in THIN.get(suite, {}).items():
        source = next(pool.glob(f"{depends}_*.deb"))
        version = docker_version(deb_version(source), suite, epoch=False)
        target = pool / f"{name}_{version}_all.deb"
        if not replace_build(pool, name, target):
            continue
        tree = pool.parent / f".build-{suite}-{name}"
        shutil.rmtree(tree, ignore_errors=True)
        (tree / "DEBIAN").mkdir(parents=True)
        (tree / "DEBIAN" / "control").write_text(thin_control(name, version, depends))
        run(["dpkg-deb", "--root-owner-group", "--build", str(tree), str(target)])
        shutil.rmtree(tree)


def sign_release(dist: Path) -> None:
    """InRelease and Release.gpg for dist/Release, signed with the lab key."""
    release = str(dist / "Release")
    _gpg("--yes", "--clearsign", "--output", str(dist / "InRelease"), release)
    _gpg("--yes", "--armor", "--detach-sign", "--output", str(dist / "Release.gpg"), release)


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
    sign_release(dist)


def redated_release(release: str, date: datetime) -> str:
    """The Release text with its Date set to `date` (as apt-ftparchive writes it, UTC)."""
    stamp = date.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    lines = [line for line in release.splitlines() if not line.startswith("Valid-Until:")]
    if not any(line.startswith("Date:") for line in lines):
        raise LabError("a Release file without a Date line")
    return (
        "\n".join(f"Date: {stamp}" if line.startswith("Date:") else line for line in lines) + "\n"
    )


def write_redated_copy(suite: str, dest: Path, shift: timedelta) -> None:
    """The suite's index (not its packages) dated now + shift, signed with the lab key, and
    the key as dest/gpg: the repository as a server whose clock is `shift` behind sees it."""
    source = repo_dir() / "dists" / suite
    dist = dest / "dists" / suite
    shutil.copytree(source / COMPONENT, dist / COMPONENT)
    release = redated_release((source / "Release").read_text(), datetime.now(UTC) + shift)
    (dist / "Release").write_text(release)
    sign_release(dist)
    shutil.copy(repo_dir() / "gpg", dest / "gpg")


def ensure_aptrepo(suites: Iterable[str] = ("bookworm", "trixie")) -> str:
    """Build (once) and serve the repository; return its base URL on the lab network."""
    root = repo_dir()
    root.mkdir(parents=True, exist_ok=True)
    fingerprint = ensure_key()
    for suite in suites:
        download(suite, root / "pool" / suite)
        build_docker_named(suite, root / "pool" / suite)
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
