"""A Python package index on the lab network, for targets that cannot reach PyPI.

Containers here fail TLS verification against PyPI, but this machine can `pip download`.
The lab downloads, on this machine, every file two installs need and serves them as a
static PEP 503 "simple" index (links carry #sha256= fragments) from a labelled container:

- the blog's runtime requirements (app/requirements.txt, pinned with their dependencies),
  as wheels for CPython 3.11 on manylinux x86_64: what the blog image's build installs;
- docker-compose 1.29.2 (Compose v1, the Debian 12 targets' compose), in the exact install
  sequence of COMPOSE_STEPS with the pinned closure COMPOSE_CLOSURE.

Before an index is published the closure is proven complete on this machine: a throwaway
virtualenv installs COMPOSE_STEPS from the downloaded files alone (--no-index) and must end
up with exactly COMPOSE_CLOSURE; the blog's requirements must resolve from them as well.
The index is rebuilt only when the requirement lists change (their digest is kept in
.lab/pypi/.recipe). `verify()` then installs both sets from the served index in containers.
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
from pathlib import Path

from . import LABEL
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


@dataclass(frozen=True)
class InstallStep:
    """One `pip install` of the compose sequence."""

    requirements: tuple[str, ...]
    build_isolation: bool = True

    def pip_args(self) -> list[str]:
        """The arguments after `pip`: install [--no-build-isolation] <requirements>."""
        isolation = [] if self.build_isolation else ["--no-build-isolation"]
        return ["install", *isolation, *self.requirements]


# docker-compose 1.29.2 on Python 3.11, into a virtualenv (Debian 12's python is externally
# managed), in this order. PyYAML 5.4.1 is an sdist that does not build under Cython 3, so
# Cython<3, wheel and setuptools<70 come first and PyYAML builds without isolation; docker 7
# breaks compose 1.29.2 ("unexpected keyword argument 'ssl_version'"), hence docker<7 and
# requests<2.32. Exact versions: the lab's index holds these and nothing else.
COMPOSE_STEPS = (
    InstallStep(("Cython==0.29.37", "wheel==0.48.0", "setuptools==69.5.1")),
    InstallStep(("PyYAML==5.4.1",), build_isolation=False),
    InstallStep(("docker-compose==1.29.2", "docker==6.1.3", "requests==2.31.0")),
)
# What those steps pull in (docker-compose requires docker[ssh], hence paramiko).
COMPOSE_DEPENDENCIES = (
    "attrs==26.1.0",
    "bcrypt==5.0.0",
    "certifi==2026.10.19.post1",
    "cffi==2.1.1",
    "charset-normalizer==3.5.3",
    "cryptography==50.0.2",
    "distro==1.9.0",
    "dockerpty==0.4.1",
    "docopt==0.6.2",
    "idna==3.20",
    "invoke==3.0.3",
    "jsonschema==3.2.0",
    "packaging==26.4",
    "paramiko==5.1.0",
    "pycparser==3.12",
    "PyNaCl==1.6.2",
    "pyrsistent==0.20.0",
    "python-dotenv==0.21.1",
    "six==1.17.0",
    "texttable==1.7.2",
    "urllib3==2.8.0",
    "websocket-client==0.59.0",
)
COMPOSE_CLOSURE = tuple(
    sorted(
        {r for step in COMPOSE_STEPS for r in step.requirements} | set(COMPOSE_DEPENDENCIES),
        key=str.lower,
    )
)
"""Every distribution a compose virtualenv holds (besides pip), pinned."""
COMPOSE_SDISTS = frozenset({"pyyaml", "docopt", "dockerpty"})
"""Projects of the closure served as source distributions: no cp311 wheel exists."""
COMPOSE_VERSION = "1.29.2"


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


def requirement_lines(text: str) -> list[str]:
    """The requirement lines of a requirements file: comments and blank lines dropped."""
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def recipe_digest(
    app_requirements: str,
    compose_steps: Sequence[InstallStep] = COMPOSE_STEPS,
    compose_closure: Sequence[str] = COMPOSE_CLOSURE,
    target: Sequence[str] = WHEEL_TARGET,
) -> str:
    """A digest of everything the index holds: it changes when any requirement does."""
    blob = json.dumps(
        {
            "format": INDEX_FORMAT,
            "app": requirement_lines(app_requirements),
            "steps": [[list(s.requirements), s.build_isolation] for s in compose_steps],
            "closure": list(compose_closure),
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
    wheels = [r for r in COMPOSE_CLOSURE if normalize(split_pin(r)[0]) not in COMPOSE_SDISTS]
    log(f"pypi: downloading the compose set ({len(COMPOSE_CLOSURE)} distributions)")
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
    """A throwaway virtualenv with COMPOSE_STEPS[0] installed from the downloaded files."""
    venv = workdir / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    _pip(
        python, "--quiet", *COMPOSE_STEPS[0].pip_args(), "--no-index", "--find-links", str(packages)
    )
    return python


def _download_sdists(python: Path, packages: Path) -> None:
    """Fetch the sdists; PyYAML's metadata needs Cython<3, so no build isolation."""
    sdists = [r for r in COMPOSE_CLOSURE if normalize(split_pin(r)[0]) in COMPOSE_SDISTS]
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
    """Install COMPOSE_STEPS from the files alone; the result must be COMPOSE_CLOSURE."""
    log("pypi: proving the compose set complete (install from the downloaded files only)")
    for step in COMPOSE_STEPS[1:]:
        _pip(python, "--quiet", *step.pip_args(), "--no-index", "--find-links", str(packages))
    frozen = _pip(python, "freeze", "--all").split()
    got = {normalize(n): v for n, v in map(split_pin, frozen) if normalize(n) != "pip"}
    want = {normalize(n): v for n, v in map(split_pin, COMPOSE_CLOSURE)}
    if got != want:
        extra = sorted(f"{n}=={v}" for n, v in got.items() if want.get(n) != v)
        missing = sorted(f"{n}=={v}" for n, v in want.items() if got.get(n) != v)
        raise LabError(
            f"COMPOSE_CLOSURE is out of date: installed but not listed {extra}, "
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
    digest = recipe_digest(APP_REQUIREMENTS.read_text())
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


def compose_script(index_url: str = INDEX_URL, venv: str = "/opt/compose") -> str:
    """Shell commands that install COMPOSE_STEPS into venv from index_url (python3-venv)."""
    host = urllib.parse.urlsplit(index_url).hostname or ""
    pip = f"{venv}/bin/pip --disable-pip-version-check --no-input"
    source = f"--index-url {index_url} --trusted-host {host}"
    lines = ["set -eu", f"python3 -m venv {venv}"]
    lines += [f"{pip} {' '.join(step.pip_args())} {source}" for step in COMPOSE_STEPS]
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
    out = _run_throwaway(ServerRecipe("bookworm").tag, script)
    if f"docker-compose version {COMPOSE_VERSION}" not in out:
        raise LabError(f"docker-compose {COMPOSE_VERSION} did not install:\n{out[-2000:]}")
    log(f"pypi: verify: docker-compose {COMPOSE_VERSION} installed from {index_url}")
    host = urllib.parse.urlsplit(index_url).hostname or ""
    script = (
        "set -eu\npython3 -m venv /opt/venv\n"
        "/opt/venv/bin/pip --disable-pip-version-check --no-input install --quiet "
        f"--index-url {index_url} --trusted-host {host} --requirement /tmp/requirements.txt\n"
        "/opt/venv/bin/python -c 'import django, gunicorn, whitenoise, pymysql, cryptography; "
        'print("django", django.get_version())\'\n'
    )
    out = _run_throwaway(
        PYTHON_BASE.tag, script, mounts=[f"{APP_REQUIREMENTS}:/tmp/requirements.txt:ro"]
    )
    log(f"pypi: verify: the blog's requirements installed in {PYTHON_BASE.tag}: {out.strip()}")
