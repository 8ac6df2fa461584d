"""Values the django_stack role computes on the controller: SQL literals and the probe's Host."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "plugins/filter"))

from sql import sql_string

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "django_stack"
PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
# The run's results as one JSON document on stdout, nothing else.
JSON_OUTPUT = {
    "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
    "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.json",
}


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("plain", "'plain'"),
        ("a\\b", "'a\\\\b'"),  # one backslash in, two out
        ("it's", "'it''s'"),
        ("\\'", "'\\\\'''"),
    ],
)
def test_sql_string_doubles_backslashes_and_quotes(value: str, literal: str) -> None:
    assert sql_string(value) == literal


def render(expressions: dict[str, str], extra: dict[str, object]) -> dict[str, str]:
    """The expressions rendered by ansible-playbook with the role's defaults and vars loaded,
    as the role's tasks would see them."""
    play = [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "tasks": [
                {"ansible.builtin.include_vars": {"file": f"{ROLE}/defaults/main.yml"}},
                {"ansible.builtin.include_vars": {"file": f"{ROLE}/vars/main.yml"}},
                {"ansible.builtin.debug": {"msg": expressions}},
            ],
        }
    ]  # fmt: skip
    playbook = ROOT / ".cache" / f"render-{os.getpid()}.yml"
    playbook.parent.mkdir(exist_ok=True)
    playbook.write_text(json.dumps(play))
    try:
        out = subprocess.run(
            [str(PLAYBOOK), "-i", "localhost,", "-c", "local", str(playbook),
             "--extra-vars", json.dumps(extra)],
            cwd=ROOT, capture_output=True, text=True, check=False,
            env={**os.environ, **JSON_OUTPUT},
        )  # fmt: skip
    finally:
        playbook.unlink()
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    result = json.loads(out.stdout)["plays"][0]["tasks"][-1]["hosts"]["localhost"]
    rendered: dict[str, str] = result["msg"]
    return rendered


def test_the_probe_asks_for_a_dotted_domain_without_its_dot() -> None:
    got = render(
        {"host": "{{ __django_stack_probe_host }}"},
        {"django_stack_allowed_hosts": ["*", ".example.com", "other.example.com"]},
    )
    assert got == {"host": "example.com"}


def test_the_probe_asks_for_the_public_hostname_when_only_a_wildcard_is_allowed() -> None:
    got = render(
        {"host": "{{ __django_stack_probe_host }}"},
        {
            "django_stack_allowed_hosts": ["*"],
            "django_stack_public_url": "https://blog.example.org",
        },
    )
    assert got == {"host": "blog.example.org"}


def test_sql_string_reaches_a_task_unchanged_by_yaml_or_jinja() -> None:
    got = render(
        {"sql": "{{ django_stack_db_password | dockyard_blog.hosts.sql_string }}"},
        {"django_stack_db_password": "a\\b'c"},
    )
    assert got == {"sql": "'a\\\\b''c'"}
