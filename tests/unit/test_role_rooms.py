"""django_stack is the front door; its sub-roles hold one concern each and no variables.

Every include_role names an entry point its role declares, every declared entry point has
its tasks file, a sub-role is entered from django_stack's family only, and the public
variables a sub-role reads are django_stack's own defaults.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = ROOT / "roles"
FRONT = "django_stack"
SUB_ROLES = sorted(p.name for p in ROLES.glob(f"{FRONT}_*") if p.is_dir())
INCLUDE = re.compile(
    r"include_role:\s*\n\s+name:\s*\"?(?P<name>[^\s\"]+)\"?(?:\s*\n\s+tasks_from:\s*(?P<entry>\S+))?"
)
PUBLIC_VARIABLE = re.compile(r"(?<![\w.])(django_stack_[a-z0-9_]+)")


def specs(role: str) -> dict[str, Any]:
    data = yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text())
    assert isinstance(data, dict)
    return dict(data["argument_specs"])


def yaml_files() -> list[Path]:
    found = [*ROOT.glob("*.yml"), *(ROOT / "playbooks").rglob("*.yml"), *ROLES.rglob("*.yml")]
    found += (ROOT / "molecule").rglob("*.yml")
    return sorted(found)


def includes() -> list[tuple[Path, str, str]]:
    """(file, role, entry point) for every include_role, with a topology's name expanded."""
    found = []
    for path in yaml_files():
        for match in INCLUDE.finditer(path.read_text()):
            name = match.group("name").split(".")[-1]
            entry = match.group("entry") or "main"
            roles = (
                [f"{FRONT}_compose", f"{FRONT}_swarm"]
                if "{{ django_stack_topology }}" in match.group(0)
                else [name]
            )
            found += [(path, role, entry) for role in roles]
    return found


def test_the_sub_roles_are_there() -> None:
    assert {"django_stack_compose", "django_stack_swarm", "django_stack_data"} <= set(SUB_ROLES)


@pytest.mark.parametrize("role", SUB_ROLES)
def test_a_sub_role_has_no_variables_of_its_own(role: str) -> None:
    assert not (ROLES / role / "defaults").exists()
    assert not (ROLES / role / "vars").exists()
    assert {name: entry.get("options") for name, entry in specs(role).items()} == {
        name: {} for name in specs(role)
    }


@pytest.mark.parametrize("role", [FRONT, *SUB_ROLES])
def test_every_declared_entry_point_has_its_tasks(role: str) -> None:
    missing = [e for e in specs(role) if not (ROLES / role / "tasks" / f"{e}.yml").exists()]
    assert missing == []


def test_every_include_role_names_a_declared_entry_point() -> None:
    seen = includes()
    assert len(seen) > 20
    undeclared = [
        f"{path.relative_to(ROOT)}: {role} {entry}"
        for path, role, entry in seen
        if (ROLES / role / "meta" / "argument_specs.yml").exists() and entry not in specs(role)
    ]
    assert undeclared == []


def in_the_family(path: Path) -> bool:
    return path.is_relative_to(ROLES) and path.relative_to(ROLES).parts[0].startswith(FRONT)


def test_a_sub_role_is_entered_from_django_stacks_family_only() -> None:
    outside = [
        f"{path.relative_to(ROOT)} includes {role}"
        for path, role, _ in includes()
        if role in SUB_ROLES and not in_the_family(path)
    ]
    assert outside == []


@pytest.mark.parametrize("role", SUB_ROLES)
def test_a_sub_role_reads_only_django_stacks_public_variables(role: str) -> None:
    defaults = yaml.safe_load((ROLES / FRONT / "defaults" / "main.yml").read_text())
    read = set()
    for path in (ROLES / role).rglob("*"):
        if path.suffix in {".yml", ".j2"} and "meta" not in path.parts:
            code = [
                line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")
            ]
            read |= set(PUBLIC_VARIABLE.findall("\n".join(code)))
    assert read - set(defaults) - {FRONT, *SUB_ROLES} == set()
