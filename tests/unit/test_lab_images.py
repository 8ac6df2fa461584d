"""Lab image recipes: a digest that changes exactly when the recipe does."""

from __future__ import annotations

from pathlib import Path

import pytest
from dockyard_lab.images import SERVER_PACKAGES, ServerRecipe, ensure_servers
from dockyard_lab.run import LabError


def test_digest_is_stable() -> None:
    assert ServerRecipe("bookworm").digest() == ServerRecipe("bookworm").digest()


@pytest.mark.parametrize(
    "changed",
    [
        ServerRecipe("trixie"),
        ServerRecipe("bookworm", mirror="http://mirror.example.invalid/debian"),
        ServerRecipe("bookworm", packages=(*SERVER_PACKAGES, "vim")),
        ServerRecipe("bookworm", setup="true\n"),
    ],
)
def test_any_recipe_change_changes_the_digest(changed: ServerRecipe) -> None:
    assert changed.digest() != ServerRecipe("bookworm").digest()


def test_tag_names_the_suite() -> None:
    assert ServerRecipe("trixie").tag == "dockyard-lab/server:trixie"


def test_unknown_suite_is_refused_before_building() -> None:
    with pytest.raises(LabError, match="unknown suite"):
        ensure_servers(["buster-of-doom"])


def test_a_directory_made_anew_at_the_same_path_is_another_mount(tmp_path: Path) -> None:
    from dockyard_lab.services import mount_identity

    repo = tmp_path / "repo"
    repo.mkdir()
    first = mount_identity(f"{repo}:/srv/repo:ro")
    assert first == mount_identity(f"{repo}:/srv/repo:ro")
    (repo / ".dockyard-mount").unlink()
    repo.rmdir()
    repo.mkdir()
    assert mount_identity(f"{repo}:/srv/repo:ro") != first
    assert mount_identity("named-volume:/data") == ""
