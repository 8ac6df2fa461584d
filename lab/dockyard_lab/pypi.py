"""A Python package index on the lab network, for targets that cannot reach PyPI.

Containers here fail TLS verification against PyPI, but this machine can `pip download`.
The lab downloads, on this machine, every file two installs need and serves them as a
static PEP 503 "simple" index (links carry #sha256= fragments) from a labelled container:

- the blog's runtime requirements (app/requirements.txt, pinned with their dependencies),
  as wheels for CPython 3.11 on manylinux x86_64: what the blog image's build installs;
- docker-compose 1.29.2 (Compose v1, the Debian 12 targets' compose): the docker_compose
  role's install steps (compose_steps(), read from its vars) and their lock files
  (roles/docker_compose/files/compose-v1), whose pins for CPython 3.11 are COMPOSE_CLOSURE.

Every requirement file is a hashed lock (dockyard_lab.pylock), and every downloaded file's
sha256 must be one its lock lists. Before an index is published the closure is proven
complete on this machine: a throwaway virtualenv installs compose_steps() from the downloaded
files alone (--no-index --require-hashes) and must end up with exactly compose_closure(); the
blog's requirements must resolve from them as well. The index is rebuilt only when a lock
file changes (their digest is kept in .lab/pypi/.recipe). `verify()` then installs both sets
from the served index in containers.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import secrets
import shutil
import sys
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from . import LABEL, pylock
from .appimages import PYTHON_BASE
from .images import BUILD_DIR, ServerRecipe
from .run import LabError, log, run
from .services import (
    NETWORK,
    PROJECT_ROOT,
    STATE_DIR,
    container_ip,
    container_running,
    ensure_service,
    wait_http,
)

SERVICE = "dockyard-lab-pypi"
INDEX_URL = f"http://{SERVICE}/simple/"
TRUSTED_HOST = SERVICE
APP_REQUIREMENTS = PROJECT_ROOT / "app" / "requirements.txt"
INDEX_FORMAT = 1
"""Bump when the index layout changes, to rebuild every lab's index."""

# Wheels for the targets' interpreter: CPython 3.11 (Debian 12), glibc x86_64.
WHEEL_TARGET = (
    "--python-version",
    "3.11",
    "--implementation",
    "cp",
    "--abi",
    "cp311",
    "--abi",
    "abi3",
    "--abi",
    "none",
    "--platform",
    "manylinux2014_x86_64",
    "--platform",
    "manylinux_2_17_x86_64",
    "--platform",
    "manylinux_2_28_x86_64",
)
SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2")


COMPOSE_ROLE = PROJECT_ROOT / "roles" / "docker_compose"
COMPOSE_LOCKS = COMPOSE_ROLE / "files" / "compose-v1"
TARGET_PYTHON = "3.11"


@dataclass(frozen=True)
class InstallStep:
    """One `pip install` of the compose sequence: a lock file, with or without isolation."""

    requirements: str
    build_isolation: bool = True

    def pip_args(self, locks: str | Path = COMPOSE_LOCKS) -> list[str]:
        """The arguments after `pip`: install --require-hashes [...] --requirement <lock>."""
        isolation = [] if self.build_isolation else ["--no-build-isolation"]
        return [
            "install",
            "--require-hashes",
            *isolation,
            "--requirement",
            f"{locks}/{self.requirements}",
        ]

    def pins(self, locks: Path = COMPOSE_LOCKS) -> list[pylock.Pin]:
        return pylock.parse((locks / self.requirements).read_text())


def role_steps(role: Path = COMPOSE_ROLE) -> tuple[InstallStep, ...]:
    """The docker_compose role's pip steps (vars/main.yml), in order."""
    import yaml  # the venv's: the lab's command line loads with the standard library only

    steps = yaml.safe_load((role / "vars" / "main.yml").read_text())["__docker_compose_pip_steps"]
    return tuple(
        InstallStep(str(step["requirements"]), build_isolation=not step["no_build_isolation"])
        for step in steps
    )


@cache
def compose_steps() -> tuple[InstallStep, ...]:
    """docker-compose 1.29.2 on Python 3.11 into a virtualenv (Debian 12's python is
    externally managed), in the role's order; the lab's index holds these files only."""
    return role_steps()


@cache
def compose_closure() -> tuple[str, ...]:
    """Every distribution a compose virtualenv holds on CPython 3.11 (besides pip), pinned."""
    pins = {
        pin.requirement
        for step in compose_steps()
        for pin in step.pins()
        if pin.applies(TARGET_PYTHON)
    }
    return tuple(sorted(pins, key=str.lower))


COMPOSE_SDISTS = frozenset({"pyyaml", "docopt", "dockerpty"})
"""Projects of the closure served as source distributions: no cp311 wheel exists."""
COMPOSE_VERSION = "1.29.2"


def lock_hashes(texts: Iterable[str]) -> dict[str, set[str]]:
    """The sha256 digests the lock files allow, by normalised project."""
    allowed: dict[str, set[str]] = {}
    for text in texts:
        for pin in pylock.parse(text):
            allowed.setdefault(normalize(pin.name), set()).update(pin.hashes)
    return allowed


def unlisted_files(packages: Path, allowed: dict[str, set[str]]) -> list[str]:
    """The files in packages whose sha256 no lock file lists for their project."""
    return sorted(
        path.name
        for path in packages.iterdir()
        if sha256_of(path) not in allowed.get(project_of(path.name), set())
    )


def lock_files() -> list[Path]:
    """Every hashed lock file of the project: the blog image's and the compose steps'."""
    return [APP_REQUIREMENTS, APP_REQUIREMENTS.with_name("requirements-dev.txt")] + [
        COMPOSE_LOCKS / step.requirements for step in compose_steps()
    ]


def lock_texts() -> list[str]:
    """The texts of the locks the index serves: the blog's and the compose steps'."""
    return [path.read_text() for path in lock_files() if path.name != "requirements-dev.txt"]


def normalize(name: str) -> str:
    """A project name as PEP 503 normalises it: runs of -_. become -, lower case."""
    return re.sub(r"[-_.]+", "-", name).lower()


def split_pin(requirement: str) -> tuple[str, str]:
    """('name', 'version') of an exact pin 'name==version'."""
    name, sep, version = requirement.partition("==")
    if not sep or not name.strip() or not version.strip():
        raise LabError(f"not an exact pin: {requirement!r}")
    return name.strip(), version.strip()


def project_of(filename: str) -> str:
    """The normalised project a wheel or sdist file belongs to."""
    if filename.endswith(".whl"):
        parts = filename[: -len(".whl")].split("-")
        if len(parts) not in (5, 6):
            raise LabError(f"not a wheel file name: {filename}")
        return normalize(parts[0])
    for suffix in SDIST_SUFFIXES:
        if filename.endswith(suffix):
            name, sep, _version = filename[: -len(suffix)].rpartition("-")
            if not sep or not name:
                raise LabError(f"not an sdist file name: {filename}")
            return normalize(name)
    raise LabError(f"not a distribution file: {filename}")


def recipe_digest(
    locks: Sequence[str],
    steps: Sequence[InstallStep] | None = None,
    target: Sequence[str] = WHEEL_TARGET,
) -> str:
    """A digest of everything the index holds: any pin, marker or hash, not comments."""
    pins = [
        [[pin.requirement, pin.marker, list(pin.hashes)] for pin in pylock.parse(text)]
        for text in locks
    ]
    blob = json.dumps(
        {
            "format": INDEX_FORMAT,
            "locks": pins,
            "steps": [[s.requirements, s.build_isolation] for s in steps or compose_steps()],
            "target": list(target),
        },
        sort_keys=True,
    ).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def _page(title: str, links: Iterable[tuple[str, str]]) -> str:
    body = "\n".join(
        f'    <a href="{html.escape(href)}">{html.escape(text)}</a><br>' for href, text in links
    )
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        '    <meta name="pypi:repository-version" content="1.0">\n'
        f"    <title>{html.escape(title)}</title>\n  </head>\n  <body>\n"
        f"    <h1>{html.escape(title)}</h1>\n{body}\n  </body>\n</html>\n"
    )


def project_page(project: str, files: Iterable[tuple[str, str]], base: str) -> str:
    """A PEP 503 project page: one link per (file name, sha256), relative to base."""
    links = (
        (f"{base}{urllib.parse.quote(name)}#sha256={digest}", name)
        for name, digest in sorted(files)
    )
    return _page(f"Links for {project}", links)


def root_page(projects: Iterable[str]) -> str:
    """The PEP 503 root page: one link per normalised project."""
    return _page("Simple index", ((f"{p}/", p) for p in sorted(set(projects))))


def sha256_of(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def index_pages(files: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The pages of a simple index for (file name, sha256) pairs, by path under simple/.

    Files are expected in a `packages/` folder next to `simple/`.
    """
    by_project: dict[str, list[tuple[str, str]]] = {}
    for name, digest in files:
        by_project.setdefault(project_of(name), []).append((name, digest))
    pages = {"index.html": root_page(by_project)}
    for project, entries in by_project.items():
        pages[f"{project}/index.html"] = project_page(project, entries, "../../packages/")
    return pages


def write_index(root: Path) -> int:
    """Write root/simple for the files in root/packages; return the number of projects."""
    files = [(p.name, sha256_of(p)) for p in sorted((root / "packages").iterdir())]
    pages = index_pages(files)
    for relative, text in pages.items():
        path = root / "simple" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return len(pages) - 1


def index_dir() -> Path:
    return STATE_DIR / "pypi"


def _pip(python: Path | str, *args: str) -> str:
    argv = [str(python), "-m", "pip", "--disable-pip-version-check", "--no-input", *args]
    return run(argv).stdout


def _download(packages: Path) -> None:
    """Download every file of both sets into packages (on this machine)."""
    log("pypi: downloading the blog's requirements (cp311 manylinux wheels)")
    _pip(
        sys.executable,
        "download",
        "--quiet",
        "--dest",
        str(packages),
        "--only-binary=:all:",
        *WHEEL_TARGET,
        "--requirement",
        str(APP_REQUIREMENTS),
    )
    wheels = [r for r in compose_closure() if normalize(split_pin(r)[0]) not in COMPOSE_SDISTS]
    log(f"pypi: downloading the compose set ({len(compose_closure())} distributions)")
    _pip(
        sys.executable,
        "download",
        "--quiet",
        "--no-deps",
        "--dest",
        str(packages),
        "--only-binary=:all:",
        *WHEEL_TARGET,
        *wheels,
    )


def _build_env(workdir: Path, packages: Path) -> Path:
    """A throwaway virtualenv with compose_steps()[0] installed from the downloaded files."""
    venv = workdir / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    _pip(
        python,
        "--quiet",
        *compose_steps()[0].pip_args(),
        "--no-index",
        "--find-links",
        str(packages),
    )
    return python


def _download_sdists(python: Path, packages: Path) -> None:
    """Fetch the sdists; PyYAML's metadata needs Cython<3, so no build isolation."""
    sdists = [r for r in compose_closure() if normalize(split_pin(r)[0]) in COMPOSE_SDISTS]
    _pip(
        python,
        "download",
        "--quiet",
        "--no-deps",
        "--no-binary=:all:",
        "--no-build-isolation",
        "--dest",
        str(packages),
        *sdists,
    )


def _check_closure(python: Path, packages: Path) -> None:
    """Install compose_steps() from the files alone; the result must be compose_closure()."""
    log("pypi: proving the compose set complete (install from the downloaded files only)")
    for step in compose_steps()[1:]:
        _pip(python, "--quiet", *step.pip_args(), "--no-index", "--find-links", str(packages))
    frozen = _pip(python, "freeze", "--all").split()
    got = {normalize(n): v for n, v in map(split_pin, frozen) if normalize(n) != "pip"}
    want = {normalize(n): v for n, v in map(split_pin, compose_closure())}
    if got != want:
        extra = sorted(f"{n}=={v}" for n, v in got.items() if want.get(n) != v)
        missing = sorted(f"{n}=={v}" for n, v in want.items() if got.get(n) != v)
        raise LabError(
            f"the compose locks are out of date: installed but not listed {extra}, "
            f"listed but not installed {missing}"
        )
    version = run([str(python.parent / "docker-compose"), "version", "--short"]).stdout.strip()
    if version != COMPOSE_VERSION:
        raise LabError(f"docker-compose version says {version!r}, not {COMPOSE_VERSION}")
    _pip(
        python,
        "--quiet",
        "install",
        "--dry-run",
        "--require-hashes",
        "--no-index",
        "--find-links",
        str(packages),
        "--requirement",
        str(APP_REQUIREMENTS),
    )


def _publish(staging: Path, root: Path) -> None:
    """Swap staging's packages/ and simple/ into root (root itself stays: it is mounted)."""
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    for name in ("packages", "simple"):
        old = root / f".{name}.old"
        shutil.rmtree(old, ignore_errors=True)
        if (root / name).exists():
            (root / name).rename(old)
        (staging / name).rename(root / name)
        shutil.rmtree(old, ignore_errors=True)


def ensure_index(*, force: bool = False) -> bool:
    """Download and index both sets unless the index matches the requirements; True if built."""
    root = index_dir()
    digest = recipe_digest(lock_texts())
    stamp = root / ".recipe"
    current = stamp.read_text().strip() if stamp.exists() else ""
    if not force and current == digest and (root / "simple" / "index.html").is_file():
        log(f"pypi: index up to date (recipe {digest})")
        return False
    if sys.version_info[:2] != (3, 11):
        raise LabError(
            "the lab's Python must be CPython 3.11 to prove the cp311 compose set on this "
            f"machine (this is {sys.version.split()[0]})"
        )
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="pypi-", dir=BUILD_DIR))
    try:
        packages = staging / "packages"
        packages.mkdir()
        _download(packages)
        python = _build_env(staging, packages)
        _download_sdists(python, packages)
        unlisted = unlisted_files(packages, lock_hashes(lock_texts()))
        if unlisted:
            raise LabError(
                f"downloaded files whose sha256 no lock file lists: {unlisted} "
                "(refresh the locks: python -m dockyard_lab pip-lock)"
            )
        _check_closure(python, packages)
        for path in packages.iterdir():
            path.chmod(0o644)
        projects = write_index(staging)
        _publish(staging, root)
        stamp.write_text(digest + "\n")
        count = len(list((root / "packages").iterdir()))
        log(f"pypi: index built: {count} files, {projects} projects (recipe {digest})")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return True


def _served_root_page(ip: str) -> str:
    with urllib.request.urlopen(f"http://{ip}/simple/", timeout=5) as answer:
        return str(answer.read().decode())


def ensure_pypi(*, force: bool = False) -> str:
    """Build (when stale) and serve the index; return its URL on the lab network."""
    ensure_index(force=force)
    root = index_dir()
    command = ["python3", "-m", "http.server", "80", "--directory", "/srv/pypi"]
    mounts = [f"{root}:/srv/pypi:ro"]
    ensure_service(SERVICE, command, mounts=mounts)
    ip = container_ip(SERVICE)
    wait_http(f"http://{ip}/simple/")
    expected = (root / "simple" / "index.html").read_text()
    try:
        served = _served_root_page(ip)
    except OSError:
        served = ""
    if served != expected:
        # The mount predates a removed and recreated .lab/pypi: start the service afresh.
        log(f"pypi: {SERVICE} serves a stale tree: restarting it")
        run(["docker", "rm", "--force", SERVICE])
        ensure_service(SERVICE, command, mounts=mounts)
        ip = container_ip(SERVICE)
        wait_http(f"http://{ip}/simple/")
    log(f"pypi: {INDEX_URL} served by {SERVICE} (on this machine: http://{ip}/simple/)")
    return INDEX_URL


def compose_script(
    index_url: str = INDEX_URL, venv: str = "/opt/compose", locks: str = "/srv/compose-v1"
) -> str:
    """Shell commands that install compose_steps() into venv from index_url (python3-venv).

    The lock files are expected in the folder `locks`, as the role copies them.
    """
    host = urllib.parse.urlsplit(index_url).hostname or ""
    pip = f"{venv}/bin/pip --disable-pip-version-check --no-input"
    source = f"--index-url {index_url} --trusted-host {host}"
    lines = ["set -eu", f"python3 -m venv {venv}"]
    lines += [f"{pip} {' '.join(step.pip_args(locks))} {source}" for step in compose_steps()]
    return "\n".join(lines) + "\n"


def _run_throwaway(image: str, script: str, mounts: Sequence[str] = ()) -> str:
    """Run script in a labelled throwaway container on the lab network; return its output."""
    name = f"dockyard-lab-pypi-check-{secrets.token_hex(4)}"
    argv = ["docker", "run", "--rm", "--name", name, "--network", NETWORK]
    argv += ["--label", f"{LABEL}=true"]
    for mount in mounts:
        argv += ["--volume", mount]
    try:
        return run([*argv, image, "sh", "-c", script]).stdout
    finally:
        run(["docker", "rm", "--force", name], check=False)


def verify(index_url: str = INDEX_URL) -> None:
    """Install both sets from the served index in containers, as the targets will."""
    if not container_running(SERVICE):
        raise LabError(f"{SERVICE} is not running: run `python -m dockyard_lab pypi` first")
    log("pypi: verify: docker-compose in a bookworm server (apt python3-venv, then pip)")
    script = (
        "set -eu\napt-get update -qq\n"
        "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "
        "python3-venv >/dev/null\n"
        + compose_script(index_url)
        + "/opt/compose/bin/docker-compose version\n"
    )
    out = _run_throwaway(
        ServerRecipe("bookworm").tag, script, mounts=[f"{COMPOSE_LOCKS}:/srv/compose-v1:ro"]
    )
    if f"docker-compose version {COMPOSE_VERSION}" not in out:
        raise LabError(f"docker-compose {COMPOSE_VERSION} did not install:\n{out[-2000:]}")
    log(f"pypi: verify: docker-compose {COMPOSE_VERSION} installed from {index_url}")
    host = urllib.parse.urlsplit(index_url).hostname or ""
    script = (
        "set -eu\npython3 -m venv /opt/venv\n"
        "/opt/venv/bin/pip --disable-pip-version-check --no-input install --quiet "
        f"--index-url {index_url} --trusted-host {host} --require-hashes "
        "--requirement /tmp/requirements.txt\n"
        "/opt/venv/bin/python -c 'import django, gunicorn, whitenoise, pymysql, cryptography; "
        'print("django", django.get_version())\'\n'
    )
    out = _run_throwaway(
        PYTHON_BASE.tag, script, mounts=[f"{APP_REQUIREMENTS}:/tmp/requirements.txt:ro"]
    )
    log(f"pypi: verify: the blog's requirements installed in {PYTHON_BASE.tag}: {out.strip()}")
