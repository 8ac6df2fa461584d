"""django_stack_swarm's templates/stack.yml.j2: the stack's hardening follows the role's settings.

Rendered with the role's defaults by Jinja alone (Ansible's to_json and bool as filters);
the lab's swarm cannot run an encrypted overlay (no ESP in its kernel), so this is where
the encrypted side of the setting is checked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"
ROLE = ROLES / "django_stack"
SECRETS = ("db_root_password", "db_password", "django_secret_key")


def ansible_bool(value: object) -> bool:
    return str(value).lower() in {"1", "true", "yes", "on"}


def render(**settings: object) -> dict[str, Any]:
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    private = {
        "__django_stack_allowed_hosts": ["blog.example.com"],
        "__django_stack_public": {"scheme": "http", "netloc": "blog.example.com"},
        "__django_stack_public_https": False,
        "__django_stack_secret_names": list(SECRETS),
        "__django_stack_swarm_secrets": {name: f"blog_{name}_v1" for name in SECRETS},
        "__django_stack_swarm_config": "blog_haproxy_cfg_v1",
        "__django_stack_swarm_web_image": "registry.example.com/blog/web:1@sha256:" + "0" * 64,
        "__django_stack_swarm_with_web": True,
        "__django_stack_web_uid": 10001,
        "django_stack_public_url": "http://blog.example.com",
    }
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)  # noqa: S701 - YAML
    environment.filters["to_json"] = json.dumps
    environment.filters["bool"] = ansible_bool
    source = (ROLES / "django_stack_swarm" / "templates" / "stack.yml.j2").read_text()
    text = environment.from_string(source).render({**defaults, **private, **settings})
    return yaml.safe_load(text)


@pytest.mark.parametrize("encrypt", [True, False])
def test_the_network_is_never_attachable_and_encrypted_as_set(encrypt: bool) -> None:
    network = render(django_stack_swarm_encrypt_network=encrypt)["networks"]["backend"]
    assert network["attachable"] is False
    assert ("encrypted" in network.get("driver_opts", {})) is encrypt


def test_every_service_has_the_pids_limit() -> None:
    services = render(django_stack_pids_limit=300)["services"]
    assert {name: s["deploy"]["resources"]["limits"]["pids"] for name, s in services.items()} == {
        "db": 300,
        "web": 300,
        "edge": 300,
    }


def test_the_step_before_the_migrations_names_the_database_alone() -> None:
    stack = render(__django_stack_swarm_with_web=False)
    assert list(stack["services"]) == ["db"]
    assert "configs" not in stack
