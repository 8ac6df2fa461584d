"""blog_files: the django_stack role's directories, secret files and records in one run."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from blog_files import apply

WEB_UID = 10001


def params(root: Path, *, key: str = "django-key", read: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "directories": [
            {"path": str(root / "opt/blog"), "mode": "0750"},
            {"path": str(root / "opt/blog/secrets"), "mode": "0711"},
            {"path": str(root / "var/backups/blog"), "mode": "0700"},
        ],
        "secrets_dir": str(root / "opt/blog/secrets"),
        "secrets": [
            {"name": "db_root_password", "content": "root-pw", "owner": 0},
            {"name": "django_secret_key", "content": key, "owner": WEB_UID},
        ],
        "revision": str(root / "opt/blog/secrets/revision"),
        "read": [str(root / p) for p in read],
    }


def mode_and_owner(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid


pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="chown to other users needs root")


def test_a_first_run_makes_everything_and_stamps_a_revision(tmp_path: Path) -> None:
    result = apply(params(tmp_path), check=False)
    assert result["changed"] is True
    assert result["secrets_changed"] == ["db_root_password", "django_secret_key"]
    assert mode_and_owner(tmp_path / "opt/blog") == (0o750, 0, 0)
    assert mode_and_owner(tmp_path / "opt/blog/secrets") == (0o711, 0, 0)
    assert mode_and_owner(tmp_path / "var/backups/blog") == (0o700, 0, 0)
    key = tmp_path / "opt/blog/secrets/django_secret_key"
    assert key.read_text() == "django-key"
    assert mode_and_owner(key) == (0o600, WEB_UID, WEB_UID)
    assert mode_and_owner(tmp_path / "opt/blog/secrets/db_root_password") == (0o600, 0, 0)
    revision = (tmp_path / "opt/blog/secrets/revision").read_text()
    assert revision == result["revision"] + "\n" and revision.startswith("20")
    assert not [p for p in (tmp_path / "opt/blog/secrets").iterdir() if p.name.startswith(".")]


def test_a_second_run_changes_nothing_and_keeps_the_revision(tmp_path: Path) -> None:
    first = apply(params(tmp_path), check=False)
    second = apply(params(tmp_path), check=False)
    assert second["changed"] is False and second["changed_paths"] == []
    assert second["revision"] == first["revision"]


def test_a_changed_secret_stamps_a_new_revision(tmp_path: Path) -> None:
    first = apply(params(tmp_path), check=False)
    (tmp_path / "opt/blog/secrets/revision").write_text("2000-01-01T00:00:00+00:00\n")
    rotated = apply(params(tmp_path, key="another-key"), check=False)
    assert rotated["secrets_changed"] == ["django_secret_key"]
    assert rotated["revision"] not in (first["revision"], "2000-01-01T00:00:00+00:00")
    assert (tmp_path / "opt/blog/secrets/django_secret_key").read_text() == "another-key"


def test_drift_in_owner_or_mode_is_put_right(tmp_path: Path) -> None:
    apply(params(tmp_path), check=False)
    key = tmp_path / "opt/blog/secrets/django_secret_key"
    key.chmod(0o644)
    (tmp_path / "var/backups/blog").chmod(0o755)
    result = apply(params(tmp_path), check=False)
    assert result["changed_paths"][:2] == [str(tmp_path / "var/backups/blog"), str(key)]
    assert mode_and_owner(key) == (0o600, WEB_UID, WEB_UID)
    assert mode_and_owner(tmp_path / "var/backups/blog") == (0o700, 0, 0)


def test_a_missing_revision_with_unchanged_secrets_is_initial(tmp_path: Path) -> None:
    apply(params(tmp_path), check=False)
    (tmp_path / "opt/blog/secrets/revision").unlink()
    result = apply(params(tmp_path), check=False)
    assert result["secrets_changed"] == [] and result["revision"] == "initial"
    assert (tmp_path / "opt/blog/secrets/revision").read_text() == "initial\n"


def test_check_mode_reports_and_writes_nothing(tmp_path: Path) -> None:
    result = apply(params(tmp_path), check=True)
    assert result["changed"] is True
    assert len(result["changed_paths"]) == 6  # three directories, two secrets, the revision
    assert list(tmp_path.iterdir()) == []
    apply(params(tmp_path), check=False)
    rotated = apply(params(tmp_path, key="another-key"), check=True)
    assert rotated["secrets_changed"] == ["django_secret_key"]
    assert (tmp_path / "opt/blog/secrets/django_secret_key").read_text() == "django-key"


def test_read_returns_each_file_in_order_and_none_when_missing(tmp_path: Path) -> None:
    (tmp_path / "deployed").write_text('{"compose": "abc"}\n')
    result = apply(params(tmp_path, read=("missing", "deployed")), check=False)
    assert result["read"] == [None, '{"compose": "abc"}\n']


def test_a_file_where_a_directory_belongs_fails_before_any_write(tmp_path: Path) -> None:
    (tmp_path / "opt").mkdir()
    (tmp_path / "opt/blog").write_text("not a directory")
    with pytest.raises(NotADirectoryError, match="is not a directory"):
        apply(params(tmp_path), check=False)
    assert not (tmp_path / "var").exists()
