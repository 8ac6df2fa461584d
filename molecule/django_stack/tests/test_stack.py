"""The blog stack serves, keeps its data through everything, and hides its secrets."""

import json
import shlex
import time

import pytest
from lab_testing import ansible_playbook

TITLE = "Data survives stop rm and redeploy"
PROJECT = "--project-directory /opt/blog --file /opt/blog/docker-compose.yml --project-name blog"


def compose(host):
    if host.run("docker compose version").rc == 0:
        return f"docker compose {PROJECT}"
    return f"docker-compose {PROJECT}"


def get(host, path, timeout=120):
    """GET a page of the blog from the server itself, waiting for it to answer."""
    code = (
        "import sys, urllib.request as u; "
        f"r = u.urlopen('http://127.0.0.1:8000{path}', timeout=5); "
        "sys.stdout.write(str(r.status) + chr(10) + r.read().decode())"
    )
    deadline = time.monotonic() + timeout
    while True:
        out = host.run(f'python3 -c "{code}"')
        if out.rc == 0 or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert out.rc == 0, out.stderr
    status, _, body = out.stdout.partition("\n")
    return int(status), body


def started_at(host):
    ids = host.check_output(f"{compose(host)} ps -q").split()
    return {
        i: host.check_output(f"docker inspect --format '{{{{.State.StartedAt}}}}' {i}") for i in ids
    }


def test_blog_answers_and_health_checks_the_database(host):
    status, body = get(host, "/healthz")
    assert status == 200
    assert json.loads(body) == {"status": "ok", "database": "ok"}
    assert get(host, "/")[0] == 200


def test_a_post_created_on_the_server_appears_on_the_page(host):
    host.run_expect(
        [0],
        f"{compose(host)} exec -T web python3 manage.py create_post "
        f"--title '{TITLE}' --body 'utf8mb4: 你好 🚢'",
    )
    status, body = get(host, "/")
    assert status == 200 and TITLE in body


def test_database_port_is_not_published_and_network_is_private(host):
    db = host.check_output(f"{compose(host)} ps -q db")
    ports = host.check_output(f"docker port {db} || true")
    assert ports == ""
    fmt = "'{{json .NetworkSettings.Networks}}'"
    networks = host.check_output(f"docker inspect --format {fmt} {db}")
    assert list(json.loads(networks)) == ["blog-net"]


def test_secret_files_are_0600(host):
    for name in ("db_root_password", "db_password", "django_secret_key"):
        assert host.file(f"/opt/blog/secrets/{name}").mode == 0o600


def test_database_uses_utf8mb4_and_the_time_zone(host):
    web = host.check_output(f"{compose(host)} ps -q web")
    env = host.check_output(f"docker inspect --format '{{{{json .Config.Env}}}}' {web}")
    assert "TZ=Asia/Shanghai" in json.loads(env)
    query = (
        'mysql -uroot -p"$(cat /run/secrets/db_root_password)" -N '
        "-e 'SELECT @@character_set_server'"
    )
    charset = host.check_output(f"{compose(host)} exec -T db sh -c {shlex.quote(query)}")
    assert charset.strip() == "utf8mb4"


def test_post_survives_compose_down_and_up(host):
    host.run_expect([0], f"{compose(host)} down")
    assert host.run("docker volume inspect mysql-data").rc == 0
    host.run_expect([0], f"{compose(host)} up -d")
    assert TITLE in get(host, "/")[1]


def test_post_survives_a_docker_daemon_restart(host):
    host.run_expect([0], "systemctl restart docker")
    assert TITLE in get(host, "/")[1]


def test_rerun_changes_nothing_and_restarts_no_container(host):
    get(host, "/")
    before = started_at(host)
    result = ansible_playbook("stack.yml", limit=host.backend.get_hostname())
    assert result.returncode == 0, result.stdout[-3000:]
    recap = [
        line for line in result.stdout.splitlines() if line.startswith(host.backend.get_hostname())
    ]
    assert "changed=0" in recap[-1], result.stdout[-3000:]
    assert started_at(host) == before
    assert TITLE in get(host, "/")[1]


def test_stopped_then_present_again(host):
    result = ansible_playbook(
        "stack.yml",
        limit=host.backend.get_hostname(),
        extra_vars={"django_stack_state": "stopped"},
    )
    assert result.returncode == 0, result.stdout[-3000:]
    running = "docker ps -q --filter label=com.docker.compose.project=blog --filter status=running"
    assert host.check_output(running) == ""
    assert host.check_output("docker ps -aq --filter label=com.docker.compose.project=blog")
    result = ansible_playbook("stack.yml", limit=host.backend.get_hostname())
    assert result.returncode == 0, result.stdout[-3000:]
    assert TITLE in get(host, "/")[1]


def test_absent_keeps_the_data_volume_unless_asked(host):
    result = ansible_playbook(
        "stack.yml",
        limit=host.backend.get_hostname(),
        extra_vars={"django_stack_state": "absent"},
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert host.check_output("docker ps -aq --filter label=com.docker.compose.project=blog") == ""
    assert host.run("docker volume inspect mysql-data").rc == 0
    result = ansible_playbook("stack.yml", limit=host.backend.get_hostname())
    assert result.returncode == 0, result.stdout[-3000:]
    assert TITLE in get(host, "/")[1]


def test_secrets_never_appear_in_output(host):
    if host.backend.get_hostname() != "stack-bookworm":
        pytest.skip("one server is enough")
    result = ansible_playbook("stack.yml", limit=host.backend.get_hostname(), args=("-vv",))
    assert result.returncode == 0, result.stdout[-3000:]
    for name in ("db_root_password", "db_password", "django_secret_key"):
        secret = host.file(f"/opt/blog/secrets/{name}").content_string
        assert len(secret) >= 24
        assert secret not in result.stdout, name
