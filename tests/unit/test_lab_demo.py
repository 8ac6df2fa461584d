"""The demo's throwaway secrets: created as the inventory's lookups would, named by a digest."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from dockyard_lab.demo import ALPHABET, SECRET_LENGTHS, ensure_secrets, secrets_owner


def test_missing_secrets_are_created_private_and_of_the_inventorys_length(tmp_path: Path) -> None:
    digest = ensure_secrets(tmp_path)
    for name, length in SECRET_LENGTHS.items():
        path = tmp_path / "secrets" / name
        value = path.read_text().strip()
        assert len(value) == length
        assert set(value) <= set(ALPHABET)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(digest) == 16 and digest not in "".join(
        (tmp_path / "secrets" / name).read_text() for name in SECRET_LENGTHS
    )


def test_existing_secrets_are_kept_and_name_the_same_owner(tmp_path: Path) -> None:
    first = ensure_secrets(tmp_path)
    kept = (tmp_path / "secrets" / "db-password").read_text()
    assert ensure_secrets(tmp_path) == first
    assert (tmp_path / "secrets" / "db-password").read_text() == kept


def test_other_secrets_name_another_owner(tmp_path: Path) -> None:
    # Another clone, or the same one after `rm -rf .lab`: new secrets, another digest.
    assert ensure_secrets(tmp_path / "one") != ensure_secrets(tmp_path / "two")
    changed = tmp_path / "one" / "secrets" / "django-secret-key"
    before = ensure_secrets(tmp_path / "one")
    changed.write_text("x" * 50 + "\n")
    assert ensure_secrets(tmp_path / "one") != before


def test_the_owner_is_read_without_creating_secrets(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        secrets_owner(tmp_path)
    assert not (tmp_path / "secrets").exists()
    created = ensure_secrets(tmp_path)
    assert secrets_owner(tmp_path) == created
