"""Each environment's values reach its hosts, whether site.yml or one playbook is run.

Ansible loads group_vars/ next to the playbook as well as next to the inventory, and a
playbook's group_vars/<group> outranks an inventory's. The layout keeps shared values in
the top-level group_vars/all only (outranked by every inventory group), links
playbooks/group_vars to it, and puts each environment's values in
inventory/<env>/group_vars/<env>/. These tests hold the layout to that.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_INVENTORY = Path(sys.executable).parent / "ansible-inventory"
# playbook directory -> what it stands for
PLAYBOOK_DIRS = {".": "site.yml", "playbooks": "a single playbook from playbooks/"}
ENVIRONMENTS = {
    "lab": {"host": "lab-server-1", "dockyard_forbid_weak_secrets": False,
            "docker_engine_source": "distro", "django_stack_time_zone": "Asia/Shanghai"},
    "staging": {"host": "staging1.example.com", "dockyard_forbid_weak_secrets": True,
                "docker_engine_source": "docker-ce", "django_stack_time_zone": "Asia/Shanghai"},
    "production": {"host": "web1.example.com", "dockyard_forbid_weak_secrets": True,
                   "docker_engine_source": "docker-ce", "django_stack_time_zone": "UTC"},
}  # fmt: skip


@cache
def host_vars(env: str, playbook_dir: str) -> dict[str, Any]:
    host = str(ENVIRONMENTS[env]["host"])
    out = subprocess.run(
        [str(ANSIBLE_INVENTORY), "-i", f"inventory/{env}", "--playbook-dir", playbook_dir,
         "--host", host],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    data = json.loads(out.stdout)
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("playbook_dir", PLAYBOOK_DIRS)
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_values_win(env: str, playbook_dir: str) -> None:
    found = host_vars(env, playbook_dir)
    assert found["dockyard_environment"] == env, PLAYBOOK_DIRS[playbook_dir]
    for key, wanted in ENVIRONMENTS[env].items():
        if key != "host":
            assert found[key] == wanted, f"{key} via {PLAYBOOK_DIRS[playbook_dir]}"


@pytest.mark.parametrize("playbook_dir", PLAYBOOK_DIRS)
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_shared_values_reach_every_environment(env: str, playbook_dir: str) -> None:
    found = host_vars(env, playbook_dir)
    assert found["docker_daemon_live_restore"] is True
    assert found["docker_daemon_log_opts"] == {"max-size": "10m", "max-file": "3"}
    assert "vault_django_stack_db_password" in found["django_stack_db_password"]


def test_top_level_group_vars_hold_all_only() -> None:
    assert sorted(p.name for p in (ROOT / "group_vars").iterdir()) == ["all"]


def test_playbooks_see_the_same_group_vars() -> None:
    assert (ROOT / "playbooks" / "group_vars").resolve() == (ROOT / "group_vars").resolve()


def test_no_secret_value_is_committed() -> None:
    vaults = list((ROOT / "inventory").glob("*/group_vars/*/vault.yml"))
    for vault in vaults:
        assert vault.read_text().startswith("$ANSIBLE_VAULT"), f"{vault} is not encrypted"
