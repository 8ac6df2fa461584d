"""Hashed requirement files: what pip installs with --require-hashes, and their refresh.

A lock file here is a pip requirements file where every requirement is an exact pin with
the sha256 of every file PyPI holds for that release (any platform's wheel then matches),
and the release's Requires-Python in a generated comment line above it:

    # requires-python: >=3.9
    attrs==26.1.0 \\
        --hash=sha256:... \\
        --hash=sha256:...

Other comment lines above a pin are the maintainer's and are kept. `refresh()` rewrites the
hashes and Requires-Python lines from PyPI for the pins as written: to move a pin, edit its
version and run `python -m dockyard_lab pip-lock`.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from .run import LabError

# packaging (the venv's) is imported where it is used: the lab's command line loads with
# the standard library only.

PYPI_SIMPLE = "https://pypi.org/simple/"
REQUIRES_PYTHON = "# requires-python:"
_PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?P<extras>\[[A-Za-z0-9_,.-]+\])?"
    r"==(?P<version>[A-Za-z0-9.+!_-]+)\s*(?:;\s*(?P<marker>[^-][^-]*?))?\s*(?P<options>(?:--.*)?)$"
)
_HASH = re.compile(r"--hash[= ]sha256:(?P<digest>[0-9a-f]{64})")
WHEEL_SUFFIX = ".whl"
SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2")


@dataclass(frozen=True)
class Pin:
    """One requirement of a lock file."""

    name: str
    version: str
    extras: str = ""
    marker: str = ""
    hashes: tuple[str, ...] = ()
    requires_python: str = ""
    comments: tuple[str, ...] = ()

    @property
    def requirement(self) -> str:
        """The pin as pip reads it on the command line: name[extras]==version."""
        return f"{self.name}{self.extras}=={self.version}"

    def applies(self, python: str) -> bool:
        """Whether the marker (if any) selects this pin on CPython `python` (3.11) on Linux."""
        if not self.marker:
            return True
        from packaging.markers import Marker  # the venv's, as below

        environment = {
            "python_version": python,
            "python_full_version": f"{python}.0",
            "sys_platform": "linux",
            "platform_system": "Linux",
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            "os_name": "posix",
        }
        return Marker(self.marker).evaluate(environment)

    def admits(self, python: str) -> bool:
        """Whether the release's Requires-Python admits Python `python` (its latest patch)."""
        if not self.requires_python or self.requires_python == "any":
            return True
        from packaging.specifiers import SpecifierSet

        return SpecifierSet(self.requires_python).contains(f"{python}.99")


@dataclass(frozen=True)
class ReleaseFile:
    """One file of a release on the index: its name, sha256 and Requires-Python."""

    filename: str
    sha256: str
    requires_python: str = ""


def _logical_lines(text: str) -> list[str]:
    """Lines with backslash continuations joined."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.rstrip()
        if stripped.endswith("\\"):
            pending += stripped[:-1].strip() + " "
            continue
        lines.append((pending + stripped.strip()) if pending else stripped)
        pending = ""
    if pending:
        lines.append(pending.strip())
    return lines


def parse(text: str) -> list[Pin]:
    """The pins of a lock file, each with its comments; anything else is an error."""
    pins: list[Pin] = []
    comments: list[str] = []
    requires_python = ""
    for number, line in enumerate(_logical_lines(text), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith(REQUIRES_PYTHON):
            requires_python = stripped[len(REQUIRES_PYTHON) :].strip()
            continue
        if stripped.startswith(("#", "-r ", "--requirement ")):
            # A comment, or another lock file read first: kept as written.
            comments.append(stripped)
            continue
        match = _PIN.match(re.sub(r"\s+#.*$", "", stripped))
        if not match:
            raise LabError(f"line {number}: not an exact pin with options: {stripped!r}")
        options = match["options"] or ""
        unknown = _HASH.sub("", options).strip()
        if unknown:
            raise LabError(f"line {number}: only --hash options are allowed, not {unknown!r}")
        pins.append(
            Pin(
                name=match["name"],
                version=match["version"],
                extras=match["extras"] or "",
                marker=(match["marker"] or "").strip(),
                hashes=tuple(h["digest"] for h in _HASH.finditer(options)),
                requires_python=requires_python,
                comments=tuple(comments),
            )
        )
        comments, requires_python = [], ""
    return pins


def render(pins: Iterable[Pin]) -> str:
    """A lock file for pins: comments, Requires-Python line, the pin and its hashes."""
    out: list[str] = []
    for pin in pins:
        out.extend(pin.comments)
        if pin.requires_python:
            out.append(f"{REQUIRES_PYTHON} {pin.requires_python}")
        head = pin.requirement + (f" ; {pin.marker}" if pin.marker else "")
        lines = [head, *(f"    --hash=sha256:{digest}" for digest in pin.hashes)]
        out.append(" \\\n".join(lines))
    return "\n".join(out) + "\n"


def normalize(name: str) -> str:
    """A project name as PEP 503 normalises it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def file_version(filename: str) -> str:
    """The version part of a wheel or sdist file name."""
    if filename.endswith(WHEEL_SUFFIX):
        parts = filename[: -len(WHEEL_SUFFIX)].split("-")
        if len(parts) not in (5, 6):
            raise LabError(f"not a wheel file name: {filename}")
        return parts[1]
    for suffix in SDIST_SUFFIXES:
        if filename.endswith(suffix):
            return filename[: -len(suffix)].rpartition("-")[2]
    raise LabError(f"not a distribution file: {filename}")


def same_version(left: str, right: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(left) == Version(right)
    except InvalidVersion:
        return left == right


def release_files_from_pypi(project: str, version: str) -> list[ReleaseFile]:
    """Every file of project==version on PyPI, from its JSON simple API (PEP 691)."""
    request = urllib.request.Request(  # noqa: S310 - a constant https:// URL
        f"{PYPI_SIMPLE}{normalize(project)}/",
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
    )
    with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - https://
        page = json.load(answer)
    files: list[ReleaseFile] = []
    for entry in page.get("files", []):
        name = str(entry["filename"])
        try:
            matches = same_version(file_version(name), version)
        except LabError:
            continue
        if matches and "sha256" in entry.get("hashes", {}):
            files.append(
                ReleaseFile(
                    name, str(entry["hashes"]["sha256"]), entry.get("requires-python") or ""
                )
            )
    return files


Fetch = Callable[[str, str], Sequence[ReleaseFile]]


def refresh(text: str, fetch: Fetch = release_files_from_pypi) -> str:
    """The lock file with every pin's hashes and Requires-Python read afresh from the index."""
    refreshed: list[Pin] = []
    for pin in parse(text):
        files = fetch(pin.name, pin.version)
        if not files:
            raise LabError(f"{pin.requirement}: the index has no file of this release")
        pythons = sorted({f.requires_python for f in files if f.requires_python})
        if len(pythons) > 1:
            raise LabError(f"{pin.requirement}: its files disagree on Requires-Python: {pythons}")
        hashes = tuple(sorted({f.sha256 for f in files}))
        refreshed.append(
            replace(pin, hashes=hashes, requires_python=pythons[0] if pythons else "any")
        )
    return render(refreshed)


def problems(pins: Sequence[Pin], pythons: Sequence[str] = ()) -> list[str]:
    """What keeps pins from being a complete hashed lock for every Python in pythons."""
    found: list[str] = []
    seen: dict[str, str] = {}
    for pin in pins:
        if not pin.hashes:
            found.append(f"{pin.requirement} has no --hash")
        if not pin.requires_python:
            found.append(f"{pin.requirement} has no '{REQUIRES_PYTHON}' line (run pip-lock)")
        key = normalize(pin.name) + (f"; {pin.marker}" if pin.marker else "")
        if key in seen:
            found.append(f"{pin.name} is pinned twice ({seen[key]} and {pin.version})")
        seen[key] = pin.version
        found.extend(
            f"{pin.requirement} requires Python {pin.requires_python}, not {python}"
            for python in pythons
            if pin.applies(python) and not pin.admits(python)
        )
    return found
