"""Lab image recipes: a digest that changes exactly when the recipe does."""

from __future__ import annotations

from pathlib import Path

import pytest
from dockyard_lab.images import (
    ENGINE_PACKAGES,
    FULL_HOST_PACKAGES,
    SERVER_PACKAGES,
    SUITES,
    DockerHostRecipe,
    ServerRecipe,
    ensure_servers,
)
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
    with pytest.raises(LabError, match="unknown suite"):
        ensure_servers([], docker_hosts=["buster-of-doom"])


@pytest.mark.parametrize("suite", ["bookworm", "trixie"])
def test_a_docker_host_is_the_server_plus_what_the_engine_role_installs(suite: str) -> None:
    host = DockerHostRecipe(suite)
    assert host.tag == f"dockyard-lab/docker-host:{suite}"
    assert host.packages == SERVER_PACKAGES + FULL_HOST_PACKAGES + ENGINE_PACKAGES[suite]
    assert "iproute2" not in SERVER_PACKAGES, "bare servers keep the minimal host's path"
    assert host.digest() != ServerRecipe(suite).digest()


def test_the_docker_host_packages_are_the_roles_distro_packages() -> None:
    """The image holds what docker_engine installs with docker_engine_source: distro (its
    vars' expression rendered for each Debian release), or the scenarios on it would
    test an install after all."""
    import ast

    import jinja2
    import yaml

    root = Path(__file__).resolve().parents[2]
    family = yaml.safe_load((root / "roles/docker_engine/vars/main.yml").read_text())
    debian = family["__docker_engine_families"]["Debian"]
    for suite, packages in ENGINE_PACKAGES.items():
        facts = {"distribution": "Debian", "distribution_major_version": SUITES[suite]}
        rendered = jinja2.Template(debian["distro_packages"]).render(ansible_facts=facts)
        wanted = [*ast.literal_eval(rendered), debian["sdk_package"]]
        assert sorted(packages) == sorted(wanted), suite


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
