"""The compose role installs exactly the set the lab's index proves installable."""

from __future__ import annotations

from pathlib import Path

import yaml
from dockyard_lab.pypi import COMPOSE_STEPS, COMPOSE_VERSION

ROLE = Path(__file__).resolve().parents[2] / "roles" / "docker_compose"


def test_role_steps_match_the_lab_index() -> None:
    steps = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())["__docker_compose_pip_steps"]
    version = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())[
        "docker_compose_pip_version"
    ]
    role = [
        (
            tuple(p.replace("{{ docker_compose_pip_version }}", version) for p in s["packages"]),
            not s["no_build_isolation"],
        )
        for s in steps
    ]
    lab = [(tuple(step.requirements), step.build_isolation) for step in COMPOSE_STEPS]
    assert role == lab
    assert version == COMPOSE_VERSION
