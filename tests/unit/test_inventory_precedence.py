"""A user's value wins, however the inventory is written and whichever playbook runs.

Ansible ranks a playbook's group_vars/all above every group variable written in an
inventory file and above an inventory directory's group_vars/all; play vars, role vars and
include_vars outrank the whole inventory. So the project sets variables in role defaults
only (the lowest rank there is), and these tests hold it to that: nothing next to the
playbooks, in plays or in roles' vars/ sets a public variable, and a value written in any
of the five inventory forms reaches the host, for site.yml and for each playbook alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PLAYBOOKS = [ROOT / "site.yml", *sorted((ROOT / "playbooks").glob("*.yml"))]
HOST, GROUP = "user-server", "blog"


def role_variables() -> list[str]:
    names: list[str] = []
    for defaults in sorted(ROOT.glob("roles/*/defaults/main.yml")):
        names += list(yaml.safe_load(defaults.read_text()) or {})
    return names


VARIABLES = role_variables()


def sentinel(name: str) -> str:
    return f"user value of {name}"


def inventory_file(
    group_vars: dict[str, Any] | None = None,
    all_vars: dict[str, Any] | None = None,
    host_vars: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A user's hosts.yml: an environment group holding docker_hosts and blog."""
    host = {HOST: host_vars or {}}
    blog: dict[str, Any] = {"hosts": host}
    if group_vars:
        blog["vars"] = group_vars
    return {
        "all": {
            **({"vars": all_vars} if all_vars else {}),
            "children": {"user_env": {"children": {"docker_hosts": {"hosts": host}, GROUP: blog}}},
        }
    }


def write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data))


# Each form writes the given variables into an inventory directory, as a user might.
FORMS: dict[str, Callable[[Path, dict[str, Any]], None]] = {
    "inventory file, all: vars": lambda d, v: write(d / "hosts.yml", inventory_file(all_vars=v)),
    "inventory file, a child group's vars": lambda d, v: write(
        d / "hosts.yml", inventory_file(group_vars=v)
    ),
    "inventory directory, group_vars/all": lambda d, v: (
        write(d / "hosts.yml", inventory_file()),
        write(d / "group_vars" / "all.yml", v),
    ),
    "inventory directory, group_vars/<group>": lambda d, v: (
        write(d / "hosts.yml", inventory_file()),
        write(d / "group_vars" / GROUP / "main.yml", v),
    ),
    "host vars": lambda d, v: write(d / "hosts.yml", inventory_file(host_vars=v)),
}


def test_there_are_variables_and_playbooks_to_check() -> None:
    assert {"docker_engine_source", "django_stack_db_password"} <= set(VARIABLES)
    assert "django_stack_forbid_weak_secrets" in VARIABLES
    assert len(PLAYBOOKS) >= 5


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("playbook_dir", sorted({p.parent for p in PLAYBOOKS}), ids=str)
def test_a_users_value_reaches_the_host(form: str, playbook_dir: Path, tmp_path: Path) -> None:
    FORMS[form](tmp_path, {name: sentinel(name) for name in VARIABLES})
    out = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(tmp_path), "--playbook-dir", str(playbook_dir),
         "--host", HOST],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    found = json.loads(out.stdout)
    lost = {name: found.get(name) for name in VARIABLES if found.get(name) != sentinel(name)}
    assert lost == {}, f"{form}, playbooks in {playbook_dir.name}: these values did not win"


@pytest.mark.parametrize("form", FORMS)
def test_site_yml_acts_on_a_users_values(form: str, tmp_path: Path) -> None:
    """End to end: the preflight refuses the weak password the user set directly, with the
    minimum length the user raised (the role's default is 16)."""
    FORMS[form](
        tmp_path,
        {
            "django_stack_secret_min_length": 40,
            "django_stack_db_password": "123456",
            "django_stack_db_root_password": "a-root-password-long-enough",
            "django_stack_secret_key": "a-django-secret-key-long-enough",
            # Never reached: the preflight stops the run before any host is contacted.
            "ansible_connection": "community.docker.docker",
            "ansible_host": "dockyard-no-such-server",
        },
    )
    out = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(tmp_path), "site.yml"],
        cwd=ROOT, capture_output=True, text=True, check=False,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1"},
    )  # fmt: skip
    assert out.returncode != 0
    said = out.stdout
    assert "django_stack_db_password is a well-known default" in said, said[-2000:]
    assert "django_stack_secret_key is shorter than 40 characters" in said, said[-2000:]
    assert "123456" not in out.stdout + out.stderr


def variables_set_in(path: Path) -> list[str]:
    found: list[str] = []
    for file in sorted(path.rglob("*")) if path.is_dir() else []:
        if file.is_file() and file.suffix in {"", ".yml", ".yaml", ".json"}:
            found += [f"{file}: {name}" for name in yaml.safe_load(file.read_text()) or {}]
    return found


@pytest.mark.parametrize("folder", ["group_vars", "host_vars"])
def test_nothing_next_to_the_playbooks_sets_a_variable(folder: str) -> None:
    for playbook_dir in {p.parent for p in PLAYBOOKS}:
        assert variables_set_in(playbook_dir / folder) == []


@pytest.mark.parametrize("playbook", PLAYBOOKS, ids=lambda p: p.name)
def test_plays_set_no_variables(playbook: Path) -> None:
    for play in yaml.safe_load(playbook.read_text()):
        assert {"vars", "vars_files", "vars_prompt"} & set(play) == set(), play.get("name")
        for role in play.get("roles", []):
            assert not isinstance(role, dict) or set(role) <= {"role", "name", "tags"}, role


def test_roles_vars_hold_private_names_only() -> None:
    for vars_file in sorted(ROOT.glob("roles/*/vars/*.yml")):
        public = [n for n in yaml.safe_load(vars_file.read_text()) or {} if not n.startswith("__")]
        assert public == [], vars_file


def test_no_secret_value_is_committed() -> None:
    vaults = list((ROOT / "inventory").glob("*/group_vars/*/vault.yml"))
    for vault in vaults:
        assert vault.read_text().startswith("$ANSIBLE_VAULT"), f"{vault} is not encrypted"
