"""Every role's argument spec and defaults describe the same variables with the same values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"
# Roles with variables of their own; django_stack's sub-roles have none (test_role_rooms.py).
ROLE_NAMES = sorted(p.name for p in ROLES.iterdir() if (p / "defaults" / "main.yml").exists())


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text()) or {}
    assert isinstance(data, dict), path
    return data


@pytest.fixture(params=ROLE_NAMES)
def role(request: pytest.FixtureRequest) -> Path:
    return ROLES / str(request.param)


def test_there_are_roles_to_check() -> None:
    assert "docker_engine" in ROLE_NAMES


def test_every_default_is_specified_and_every_option_has_a_default(role: Path) -> None:
    defaults = load(role / "defaults" / "main.yml")
    options = load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    assert sorted(defaults) == sorted(options)


def test_spec_defaults_equal_role_defaults(role: Path) -> None:
    defaults = load(role / "defaults" / "main.yml")
    options = load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    for name, option in options.items():
        if "default" in option:
            assert option["default"] == defaults[name], name


def test_every_variable_carries_the_role_prefix(role: Path) -> None:
    defaults = load(role / "defaults" / "main.yml")
    assert [name for name in defaults if not name.startswith(role.name + "_")] == []


def test_every_option_is_described_and_typed(role: Path) -> None:
    options = load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    for name, option in options.items():
        assert option.get("type"), name
        assert option.get("description"), name


def test_readme_documents_every_option(role: Path) -> None:
    readme = (role / "README.md").read_text()
    options = load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    assert [name for name in options if f"`{name}`" not in readme] == []
