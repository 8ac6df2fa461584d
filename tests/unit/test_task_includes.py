"""Task files include what they mean: a relative include_tasks in tasks/swarm/ is searched
in the role's tasks/ first, so a file of the same name there would be run instead."""

from __future__ import annotations

import re
from pathlib import Path

ROLES = Path(__file__).resolve().parents[2] / "roles"
INCLUDE = re.compile(r"(?:include|import)_tasks:\s*[\"']?([A-Za-z0-9_./-]+\.yml)")


def test_no_relative_include_of_a_subfolder_is_shadowed_by_the_roles_tasks() -> None:
    shadowed = []
    for sub in sorted(ROLES.glob("*/tasks/*/")):
        top = sub.parent
        for tasks in sorted(sub.glob("*.yml")):
            for name in INCLUDE.findall(tasks.read_text()):
                if "/" not in name and (top / name).exists() and (sub / name).exists():
                    shadowed.append(f"{tasks.relative_to(ROLES)} includes {name}")
    assert shadowed == []


def test_the_check_sees_the_includes_it_is_about() -> None:
    present = (ROLES / "django_stack/tasks/swarm/present.yml").read_text()
    assert "migrate.yml" in INCLUDE.findall(present)
