"""Preflight refuses a bad inventory before any host is contacted."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from certificates import issue

ROOT = Path(__file__).resolve().parents[2]
CERTIFICATE, KEY = issue()  # for blog.example.com, valid now
PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
STRONG = {
    "vault_django_stack_db_password": "k3Jv9-correct-horse-battery",
    "vault_django_stack_db_root_password": "Zq8r-another-long-random-one",
    "vault_django_stack_secret_key": "x" * 10 + "-a-fifty-character-django-secret-key-value-",
    "vault_registry_password": "token-for-the-registry",
    # The production example's HTTPS front: a certificate for its public name, and its key.
    "vault_django_stack_tls_certificate": CERTIFICATE,
    "vault_django_stack_tls_key": KEY,
}


# The lab inventory reads the private registry's password from the lab's state, which
# `make lab` writes; these checks run on the controller before (or without) a lab.
LAB_SECRETS = {"django_stack_registry_password": "lab-registry-password-not-read-here"}


def preflight(env: str, extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Preflight only asserts on the controller, so placeholder hosts are never contacted."""
    secrets = {**LAB_SECRETS, **extra} if env == "lab" else extra
    return subprocess.run(
        [str(PLAYBOOK), "-i", f"inventory/{env}", "playbooks/preflight.yml",
         "--extra-vars", json.dumps(secrets)],
        cwd=ROOT, capture_output=True, text=True, check=False,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1"},
    )  # fmt: skip


def test_strong_secrets_pass_in_production() -> None:
    result = preflight("production", STRONG)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("weak", "rule"),
    [
        ("123456", "is a well-known default"),
        ("changeme", "is a well-known default"),
        ("short-but-random", "is shorter than 20 characters"),
    ],
)
def test_weak_secret_is_refused_in_production_and_never_printed(weak: str, rule: str) -> None:
    result = preflight("production", {**STRONG, "vault_django_stack_db_password": weak})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"django_stack_db_password {rule}" in output
    assert "at least 20 characters" in output and "Nothing was changed" in output
    assert weak not in output


@pytest.mark.parametrize("env", ["staging", "lab"])
def test_the_roles_default_refuses_a_weak_secret_everywhere(env: str) -> None:
    result = preflight(env, {**STRONG, "vault_django_stack_db_password": "123456"})
    assert result.returncode != 0
    assert "django_stack_db_password is a well-known default" in result.stdout


def test_two_secrets_of_one_value_are_refused() -> None:
    same = STRONG["vault_django_stack_db_password"]
    result = preflight("production", {**STRONG, "vault_django_stack_db_root_password": same})
    assert result.returncode != 0
    said = "django_stack_db_root_password is the same value as django_stack_db_password"
    assert said in result.stdout and same not in result.stdout


def test_the_old_names_of_the_secret_rule_are_refused_with_the_new_ones() -> None:
    result = preflight("production", {**STRONG, "dockyard_preflight_secret_min_length": 30})
    assert result.returncode != 0
    said = "dockyard_preflight_secret_min_length is now django_stack_secret_min_length"
    assert said in result.stdout


def test_an_environment_may_turn_the_rule_off() -> None:
    extra = {**STRONG, "vault_django_stack_db_password": "changeme"}
    result = preflight("lab", {**extra, "django_stack_forbid_weak_secrets": False})
    assert result.returncode == 0, result.stdout + result.stderr


def test_missing_secret_is_named() -> None:
    result = preflight("staging", {k: v for k, v in STRONG.items() if "secret_key" not in k})
    assert result.returncode != 0
    assert "django_stack_secret_key is not set" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "image", ["mysql:5.7", "mysql:5.7.44", "registry.example.com/lib/mysql:8.0.10"]
)
def test_a_database_the_app_cannot_use_is_refused_with_the_upgrade_path(image: str) -> None:
    result = preflight("production", {**STRONG, "django_stack_db_image": image})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"django_stack_db_image {image} is mysql" in output
    assert "needs mysql 8.0.11 or later" in output
    assert "then mysql:8.4" in output and "Nothing was changed" in output


@pytest.mark.parametrize(
    "image", ["mysql:8.0", "mysql:8.4", "mysql:latest", "mysql", "mariadb:11.4", "mysql:8.0.11"]
)
def test_a_database_the_app_can_use_passes(image: str) -> None:
    result = preflight("production", {**STRONG, "django_stack_db_image": image})
    assert result.returncode == 0, result.stdout[-2000:]


def test_mariadb_older_than_djangos_floor_is_refused() -> None:
    result = preflight("production", {**STRONG, "django_stack_db_image": "mariadb:10.4"})
    assert result.returncode != 0
    assert "needs mariadb 10.5 or later" in result.stdout


@pytest.mark.parametrize(
    "settings",
    [
        {"django_stack_db_character_set": "utf8"},
        {"django_stack_db_character_set": "UTF8", "django_stack_db_collation": "utf8mb4_bin"},
        {"django_stack_db_collation": "utf8_general_ci"},
    ],
)
def test_the_tutorials_utf8_is_refused_with_the_fix(settings: dict[str, str]) -> None:
    result = preflight("production", {**STRONG, **settings})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "MySQL 9 refuses to start with it" in output
    assert "utf8mb4_unicode_ci (the defaults)" in output and "utf8mb3_general_ci" in output
    assert "Nothing was changed" in output


def test_utf8mb3_spelled_out_passes() -> None:
    settings = {
        "django_stack_db_character_set": "utf8mb3",
        "django_stack_db_collation": "utf8mb3_general_ci",
    }
    result = preflight("production", {**STRONG, **settings})
    assert result.returncode == 0, result.stdout[-2000:]


@pytest.mark.parametrize("env", ["lab", "staging", "production", "swarm"])
def test_the_examples_placeholders_are_refused_everywhere(env: str) -> None:
    example = ROOT / "inventory" / "production" / "group_vars" / "production" / "vault.yml.example"
    placeholders = yaml.safe_load(example.read_text())
    result = preflight(env, {**STRONG, **placeholders})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "django_stack_db_password is still a placeholder (change this)" in output
    for value in placeholders.values():
        assert value not in output


def test_a_restore_without_limit_is_refused_before_any_host_is_contacted() -> None:
    result = subprocess.run(
        [str(PLAYBOOK), "-i", "inventory/production", "playbooks/restore.yml",
         "--extra-vars", json.dumps({"django_stack_restore_file": "latest",
                                     "ansible_connection": "community.docker.docker",
                                     "ansible_host": "dockyard-no-such-server"})],
        cwd=ROOT, capture_output=True, text=True, check=False,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1"},
    )  # fmt: skip
    assert result.returncode != 0
    assert "name the server(s) with --limit (for example --limit web1.example.com)" in result.stdout
    assert "UNREACHABLE" not in result.stdout


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("django_stack_db_name", "blog'; DROP DATABASE x; --", "django_stack_db_name"),
        ("django_stack_db_user", 'blog" x', "django_stack_db_user"),
        ("django_stack_time_zone", "Asia/Shanghai\nx: 1", "django_stack_time_zone"),
        (
            "django_stack_allowed_hosts",
            ["blog.example.com", "a,b"],
            "django_stack_allowed_hosts entry",
        ),
        ("django_stack_takeover_volume", "mysql-data; rm -rf /", "django_stack_takeover_volume"),
        ("django_stack_takeover_containers", ["mysql", "a b"], "django_stack_takeover_containers"),
        ("django_stack_takeover_project", "Tutorial!", "django_stack_takeover_project"),
        # The project to retire must not be the stack's own (it would retire itself).
        ("django_stack_takeover_project", "blog", "django_stack_takeover_project is"),
        ("django_stack_public_url", "blog.example.com", "django_stack_public_url"),
        ("django_stack_public_url", "https://example.com/blog/", "django_stack_public_url"),
        # production's HTTPS front: only with an https address, a certificate and a key.
        ("django_stack_public_url", "http://blog.example.com", "django_stack_https_front without"),
        (
            "vault_django_stack_tls_certificate",
            "change this: the PEM",
            "django_stack_tls_certificate is not a PEM certificate",
        ),
        ("vault_django_stack_tls_key", "not a key", "django_stack_tls_key is not an unencrypted"),
        ("vault_django_stack_tls_key", issue()[1], "django_stack_tls_key is not the key of"),
        (
            "vault_django_stack_tls_certificate",
            issue(("www.example.org",))[0],
            "django_stack_tls_certificate is not for blog.example.com (it is for www.example.org)",
        ),
        (
            "vault_django_stack_tls_certificate",
            issue(start=datetime(2025, 1, 1, tzinfo=UTC), end=datetime(2025, 4, 1, tzinfo=UTC))[0],
            "django_stack_tls_certificate expired on 2025-04-01",
        ),
    ],
)
def test_values_that_reach_yaml_sql_or_a_shell_must_be_plain(name: str, value: object,
                                                              named: str) -> None:  # fmt: skip
    result = preflight("production", {**STRONG, name: value})
    assert result.returncode != 0
    assert f"Not usable as given: {named}" in result.stdout
    assert "Nothing was changed" in result.stdout


def test_a_trusted_proxy_of_ones_own_needs_a_private_web_address() -> None:
    # Without the front, Django believes X-Forwarded-Proto from whoever reaches the web port.
    own_proxy = {"django_stack_https_front": False, "django_stack_trusted_proxy": True}
    result = preflight("production", {**STRONG, **own_proxy})
    output = " ".join(result.stdout.split())
    assert result.returncode != 0
    assert "django_stack_trusted_proxy with django_stack_web_bind_address 0.0.0.0" in output
    private = {**own_proxy, "django_stack_web_bind_address": "127.0.0.1"}
    assert preflight("production", {**STRONG, **private}).returncode == 0


def test_an_even_number_of_managers_is_refused(tmp_path: Path) -> None:
    fourth = tmp_path / "fourth-manager.yml"
    fourth.write_text("swarm_managers:\n  hosts:\n    swarm4.example.com:\n")
    docker_hosts = tmp_path / "docker-hosts.yml"
    docker_hosts.write_text("docker_hosts:\n  hosts:\n    swarm4.example.com:\n")
    result = subprocess.run(
        [str(PLAYBOOK), "-i", "inventory/swarm", "-i", str(fourth), "-i", str(docker_hosts),
         "playbooks/preflight.yml", "--extra-vars", json.dumps(STRONG)],
        cwd=ROOT, capture_output=True, text=True, check=False,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1"},
    )  # fmt: skip
    output = " ".join(result.stdout.split())
    assert result.returncode != 0
    assert "The swarm would have 4 managers" in output, output[-3000:]
    assert "Nothing was changed" in output


def test_the_swarm_example_passes_with_strong_secrets() -> None:
    result = preflight("swarm", STRONG)
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        # Every node builds its own image: the swarm's nodes pull one from a registry.
        ({"django_stack_web_image_source": "build"}, "django_stack_web_image_source is build"),
        ({"django_stack_state": "stopped"}, "which a swarm stack does not have"),
        ({"docker_swarm_node_labels": {}}, "No node of the swarm"),
        (
            {"docker_swarm_node_labels": {"blog.db": "true"}},
            "Several nodes have the node label blog.db",
        ),
        ({"django_stack_swarm_web_replicas": 0}, "django_stack_swarm_web_replicas 0"),
        ({"django_stack_trusted_proxy": True}, "django_stack_trusted_proxy (the edge"),
    ],
)
def test_the_swarm_topology_refuses_what_it_cannot_carry(extra: dict[str, object],
                                                         said: str) -> None:  # fmt: skip
    result = preflight("swarm", {**STRONG, **extra})
    output = " ".join(result.stdout.split())
    assert result.returncode != 0
    assert said in output, output[-3000:]
    assert "Nothing was changed" in output


VAULT = "\n".join(f"{name}: {value}" for name, value in STRONG.items() if "tls" not in name)


def staging_copy(tmp_path: Path, vault_text: str) -> Path:
    """The staging example as a user copies it, with a vault.yml filled in."""
    shutil.copytree(ROOT / "inventory" / "staging", tmp_path / "staging")
    vault = tmp_path / "staging" / "group_vars" / "staging" / "vault.yml"
    vault.write_text(vault_text + "\n")
    return vault


def run_preflight(inventory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PLAYBOOK), "-i", str(inventory), "playbooks/preflight.yml", *args],
        cwd=ROOT, capture_output=True, text=True, check=False,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1"},
    )  # fmt: skip


def test_a_vault_left_as_plain_text_is_named_with_the_command_that_encrypts_it(
    tmp_path: Path,
) -> None:
    vault = staging_copy(tmp_path, VAULT)
    result = run_preflight(tmp_path / "staging")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"WARNING: not encrypted, though it holds this environment's secrets: {vault}" in (
        result.stdout
    )
    assert f"ansible-vault encrypt {vault}" in result.stdout
    assert STRONG["vault_django_stack_db_password"] not in result.stdout


def test_an_encrypted_vault_passes_without_a_warning(tmp_path: Path) -> None:
    vault = staging_copy(tmp_path, VAULT)
    password = tmp_path / "vault-password"
    password.write_text("a-password-for-the-test-vault\n")
    subprocess.run(
        [str(PLAYBOOK.parent / "ansible-vault"), "encrypt", "--vault-password-file", str(password),
         str(vault)],
        check=True, capture_output=True,
    )  # fmt: skip
    result = run_preflight(tmp_path / "staging", "--vault-password-file", str(password))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING: not encrypted" not in result.stdout
