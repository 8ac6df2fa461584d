"""Pack a build context into one reproducible tar file on the controller.

Copying a source tree file by file costs one round trip per file (over a minute for the
blog's fifty files through `docker exec`, and the same again on every re-run just to
compare checksums). One archive costs one. The archive is reproducible, so `copy` sees
the same checksum while the source is unchanged and the host's image is not rebuilt:
entries are sorted, owned by 0:0 with normalised modes and a fixed mtime, and the paths
the context's `.dockerignore` excludes are left out, as `docker build` would: matched by
the Docker SDK's own matcher, exceptions (`!pattern`) included.

    src: "{{ lookup('django_stack_source_archive', django_stack_build_context) }}"
"""

from __future__ import annotations

DOCUMENTATION = """
name: django_stack_source_archive
short_description: Pack a Docker build context into a reproducible tar file
description:
  - Returns the path of a tar file on the controller holding the build context, minus
    what its .dockerignore excludes. Same content gives the same bytes.
options:
  _terms:
    description: The build context directory on the controller.
    required: true
"""

import hashlib
import io
import os
import stat
import tarfile
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase


class SourceArchiveError(ValueError):
    """The context cannot be packed as docker build would send it."""


def ignore_patterns(context: Path) -> list[str]:
    """The patterns of the context's .dockerignore, exceptions (`!pattern`) included, read
    as the Docker SDK reads them (none when the context has no .dockerignore)."""
    path = context / ".dockerignore"
    if not path.is_file():
        return []
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _pattern_matcher(patterns: list[str]) -> Any:  # noqa: ANN401 - the SDK is untyped
    """The Docker SDK's own .dockerignore matcher (what docker-py's build sends)."""
    try:
        from docker.utils.build import PatternMatcher
    except ImportError as error:
        msg = (
            "reading the build context's .dockerignore needs the Docker SDK for Python on the "
            "controller (pip install docker), as building the web image on the host does"
        )
        raise SourceArchiveError(msg) from error
    # The Dockerfile is always sent, whatever .dockerignore says (.dockerignore too: the
    # matcher adds that exception itself).
    return PatternMatcher([*patterns, "!Dockerfile"])


def is_ignored(relative: PurePosixPath, patterns: list[str]) -> bool:
    """Whether .dockerignore `patterns` leave the path out of the build context."""
    return bool(_pattern_matcher(patterns).matches(str(relative)))


def context_files(context: Path) -> list[PurePosixPath]:
    """Every file of the context that docker build would send, sorted."""
    if not context.is_dir():
        msg = f"the build context {context} is not a directory on the controller"
        raise SourceArchiveError(msg)
    matcher = _pattern_matcher(ignore_patterns(context))
    kept = (PurePosixPath(Path(path).as_posix()) for path in matcher.walk(str(context)))
    return sorted(path for path in kept if (context / path).is_file())


def archive_bytes(context: Path) -> bytes:
    """The context as an uncompressed tar whose bytes depend only on names, modes, content."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for relative in context_files(context):
            source = context / relative
            info = tarfile.TarInfo(str(relative))
            info.size = source.stat().st_size
            info.mode = 0o755 if os.access(source, os.X_OK) else 0o644
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            with source.open("rb") as content:
                tar.addfile(info, content)
    return buffer.getvalue()


def private_directory(cache: Path) -> Path:
    """The cache directory, made if missing; refused unless it is a real directory of this
    user's that nobody else can write or read (a shared temp dir invites planted files)."""
    cache.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = cache.lstat()
    problems = [
        text
        for text, bad in (
            ("is not a directory (a symlink or a file)", not stat.S_ISDIR(info.st_mode)),
            (f"belongs to uid {info.st_uid}, not {os.getuid()}", info.st_uid != os.getuid()),
            (f"has mode {stat.S_IMODE(info.st_mode):04o}, not 0700", info.st_mode & 0o077),
        )
        if bad
    ]
    if problems:
        raise SourceArchiveError(
            f"the archive cache {cache} {' and '.join(problems)}: remove it (it is made anew, "
            "private) and run again. Nothing was sent."
        )
    return cache


def write_archive(context: Path, cache: Path) -> Path:
    """Write the archive under `cache` (named by its digest) and return its path. A cached
    file is used only when its content has that digest; anything else is replaced."""
    data = archive_bytes(context)
    digest = hashlib.sha256(data).hexdigest()
    target = private_directory(cache) / f"source-{digest[:16]}.tar"
    if not target.is_file() or target.is_symlink() or sha256_of(target) != digest:
        # Forks may pack the same context at once: write aside, then rename atomically.
        with tempfile.NamedTemporaryFile(dir=cache, delete=False) as scratch:
            scratch.write(data)
        Path(scratch.name).chmod(0o600)
        Path(scratch.name).replace(target)
    return target


def sha256_of(path: Path) -> str:
    with path.open("rb") as content:
        return hashlib.file_digest(content, "sha256").hexdigest()


def default_cache() -> Path:
    """A per-user directory for the archives on the controller."""
    return Path(tempfile.gettempdir()) / f"dockyard-{os.getuid()}"


class LookupModule(LookupBase):  # type: ignore[misc]
    """lookup('django_stack_source_archive', context_dir) -> path of the tar file."""

    def run(self, terms: list[Any], variables: Any = None, **kwargs: Any) -> list[str]:  # noqa: ANN401
        """Pack each context given."""
        try:
            return [str(write_archive(Path(str(term)), default_cache())) for term in terms]
        except (SourceArchiveError, OSError) as error:
            raise AnsibleLookupError(str(error)) from error
