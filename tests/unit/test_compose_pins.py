"""The pip method's lock files: complete, hashed, in step with the role and the lab."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from dockyard_lab import pylock
from dockyard_lab.pypi import COMPOSE_LOCKS, COMPOSE_VERSION, compose_steps

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "docker_compose"
ROLE_VARS = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())
LOCKS = [COMPOSE_LOCKS / step.requirements for step in compose_steps()]
APP_LOCKS = [ROOT / "app" / "requirements.txt", ROOT / "app" / "requirements-dev.txt"]


@pytest.mark.parametrize("lock", LOCKS, ids=lambda p: p.name)
def test_every_pin_is_hashed_and_admits_every_python_the_role_allows(lock: Path) -> None:
    pins = pylock.parse(lock.read_text())
    assert pins
    assert pylock.problems(pins, ROLE_VARS["__docker_compose_pip_pythons"]) == []


@pytest.mark.parametrize("lock", APP_LOCKS, ids=lambda p: p.name)
def test_the_blog_image_locks_are_hashed_for_its_python(lock: Path) -> None:
    pins = pylock.parse(lock.read_text())
    assert pins
    # app/Dockerfile: BASE_IMAGE with python3 >= 3.11; the lab builds on 3.11.
    assert pylock.problems(pins, ["3.11", "3.12"]) == []


def test_each_project_is_pinned_in_one_step_only() -> None:
    seen: dict[str, str] = {}
    for lock in LOCKS:
        for pin in pylock.parse(lock.read_text()):
            name = pylock.normalize(pin.name)
            assert name not in seen, f"{name} in {seen.get(name)} and {lock.name}"
            seen[name] = lock.name


def test_the_locked_release_is_the_default_and_the_role_checks_it() -> None:
    compose = [p for p in pylock.parse(LOCKS[-1].read_text()) if p.name == "docker-compose"]
    assert [p.version for p in compose] == [COMPOSE_VERSION]
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    assert defaults["docker_compose_pip_version"] == COMPOSE_VERSION
    assert ROLE_VARS["__docker_compose_pip_locked_version"] == COMPOSE_VERSION


def test_the_steps_build_sdists_only_against_hashed_tools() -> None:
    first, *later = ROLE_VARS["__docker_compose_pip_steps"]
    tools = {p.name for p in pylock.parse((COMPOSE_LOCKS / first["requirements"]).read_text())}
    assert {"setuptools", "wheel", "Cython"} <= tools
    assert all(step["no_build_isolation"] for step in later)
