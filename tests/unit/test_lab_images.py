"""Lab image recipes: a digest that changes exactly when the recipe does."""

from __future__ import annotations

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
