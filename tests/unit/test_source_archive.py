"""The django_stack source archive: reproducible, honours .dockerignore, refuses the unknown."""

from __future__ import annotations

import os
import sys
import tarfile
from pathlib import Path, PurePosixPath

import pytest
from django_stack_source_archive import (
    SourceArchiveError,
    archive_bytes,
    is_ignored,
    write_archive,
)

APP = Path(__file__).resolve().parents[2] / "app"


def make_context(root: Path, ignore: str = "") -> Path:
    """A small build context: a Dockerfile, code, a cache directory and a test folder."""
    (root / "pkg" / "__pycache__").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "Dockerfile").write_text("FROM scratch\n")
    (root / "pkg" / "app.py").write_text("print('hi')\n")
    (root / "pkg" / "__pycache__" / "app.cpython-313.pyc").write_bytes(b"\0")
    (root / "tests" / "test_app.py").write_text("def test(): pass\n")
    (root / "run.sh").write_text("#!/bin/sh\n")
    (root / "run.sh").chmod(0o755)
    if ignore:
        (root / ".dockerignore").write_text(ignore)
    return root


def names(data: bytes, tmp_path: Path) -> dict[str, tarfile.TarInfo]:
    """The archive's members by name."""
    path = tmp_path / "out.tar"
    path.write_bytes(data)
    with tarfile.open(path) as tar:
        return {member.name: member for member in tar.getmembers()}


def test_same_content_gives_the_same_bytes_whatever_the_mtimes(tmp_path: Path) -> None:
    context = make_context(tmp_path / "ctx")
    first = archive_bytes(context)
    os.utime(context / "pkg" / "app.py", (1, 1))
    assert archive_bytes(context) == first


def test_a_changed_file_changes_the_archive(tmp_path: Path) -> None:
    context = make_context(tmp_path / "ctx")
    first = archive_bytes(context)
    (context / "pkg" / "app.py").write_text("print('changed')\n")
    assert archive_bytes(context) != first


def test_members_are_root_owned_with_normalised_modes(tmp_path: Path) -> None:
    context = make_context(tmp_path / "ctx")
    (context / "pkg" / "app.py").chmod(0o600)
    members = names(archive_bytes(context), tmp_path)
    assert {m.uid for m in members.values()} == {0}
    assert members["pkg/app.py"].mode == 0o644
    assert members["run.sh"].mode == 0o755
    assert {m.mtime for m in members.values()} == {0}


def test_dockerignore_patterns_are_left_out_but_the_dockerfile_always_goes(
    tmp_path: Path,
) -> None:
    ignore = "# comment\n**/__pycache__\ntests/\nDockerfile\n.dockerignore\n"
    context = make_context(tmp_path / "ctx", ignore)
    assert sorted(names(archive_bytes(context), tmp_path)) == [
        ".dockerignore",
        "Dockerfile",
        "pkg/app.py",
        "run.sh",
    ]


@pytest.mark.parametrize(
    ("path", "pattern", "ignored"),
    [
        ("a/__pycache__/x.pyc", "**/__pycache__", True),
        ("__pycache__", "**/__pycache__", True),
        ("a/b.pyc", "**/*.py[co]", True),
        ("db.sqlite3", "*.sqlite3", True),
        ("posts/db.sqlite3", "*.sqlite3", False),  # a bare pattern is anchored at the root
        ("tests/test_x.py", "tests", True),
        ("posts/tests.py", "tests", False),
    ],
)
def test_pattern_matching_follows_docker(path: str, pattern: str, ignored: bool) -> None:
    assert is_ignored(PurePosixPath(path), [pattern]) is ignored


def test_exception_patterns_bring_a_file_back(tmp_path: Path) -> None:
    context = make_context(tmp_path / "ctx", "tests/\n!tests/keep.py\n")
    (context / "tests" / "keep.py").write_text("KEEP = 1\n")
    kept = names(archive_bytes(context), tmp_path)
    assert "tests/keep.py" in kept
    assert "tests/test_app.py" not in kept


def test_without_the_docker_sdk_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "docker.utils.build", None)
    with pytest.raises(SourceArchiveError, match=r"Docker SDK for Python on the controller"):
        archive_bytes(make_context(tmp_path / "ctx", "tests/\n"))


def test_a_missing_context_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a directory"):
        archive_bytes(tmp_path / "nowhere")


def test_written_once_per_content_and_private(tmp_path: Path) -> None:
    context = make_context(tmp_path / "ctx")
    first = write_archive(context, tmp_path / "cache")
    assert write_archive(context, tmp_path / "cache") == first
    assert first.stat().st_mode & 0o777 == 0o600
    assert first.read_bytes() == archive_bytes(context)


def test_the_blog_ships_its_code_and_not_its_tests(tmp_path: Path) -> None:
    members = names(archive_bytes(APP), tmp_path)
    assert {"Dockerfile", "manage.py", "requirements.txt"} <= members.keys()
    assert not [n for n in members if n.startswith("tests/") or "__pycache__" in n]


def test_a_planted_archive_under_the_expected_name_is_replaced(tmp_path: Path) -> None:
    context = make_context(tmp_path / "ctx")
    cache = tmp_path / "cache"
    target = write_archive(context, cache)
    wanted = target.read_bytes()
    target.write_bytes(b"planted by someone else")
    assert write_archive(context, cache).read_bytes() == wanted


@pytest.mark.parametrize("fault", ["open mode", "another owner", "symlink"])
def test_a_cache_that_is_not_private_is_refused(tmp_path: Path, fault: str) -> None:
    context = make_context(tmp_path / "ctx")
    cache = tmp_path / "cache"
    if fault == "symlink":
        (tmp_path / "elsewhere").mkdir(mode=0o700)
        cache.symlink_to(tmp_path / "elsewhere")
    else:
        cache.mkdir(mode=0o700)
        if fault == "open mode":
            cache.chmod(0o777)
        else:
            os.chown(cache, 65534, 65534)
    with pytest.raises(SourceArchiveError, match=r"remove it .* Nothing was sent"):
        write_archive(context, cache)
