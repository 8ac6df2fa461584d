"""Servers set up by the tutorial, taken over by site.yml: the data, the mirror, the refusals.

takeover-a ran the tutorial's `docker run` steps (containers mysql and django, volume
mysql-data); takeover-b its Compose v1 project `tutorial` (volume tutorial_mysql-data).
"""

import json
import subprocess

import pytest
from lab_testing import ansible_playbook, failure_message, host_file_digest, http_get, record_fault

SITE = "../../site.yml"
VOLUMES = {"takeover-a": "mysql-data", "takeover-b": "tutorial_mysql-data"}
RETIRED = {
    "takeover-a": ["mysql", "django"],
    "takeover-b": ["tutorial_mysql_1", "tutorial_django_1"],
}
MIRROR_FLAG = "--registry-mirror=http://dockyard-lab-mirror:5000"


def name(host):
    return host.backend.get_hostname()


def fetch(host, path, timeout=120):
    """GET a page through the port the server publishes on this machine, as a visitor would."""
    # Where the lab publishes the server's port 8000 on this machine (molecule.yml).
    published = subprocess.run(
        ["docker", "port", name(host), "8000/tcp"], capture_output=True, text=True, check=True
    ).stdout.split()[0]
    return http_get(f"http://{published}{path}", timeout)


def db_container(host):
    found = host.check_output(
        "docker ps -q --filter label=com.docker.compose.project=blog"
        " --filter label=com.docker.compose.service=db"
    ).split()
    assert len(found) == 1, found
    return found[0]


def test_every_row_of_the_tutorial_is_served_by_the_stack(host):
    status, body = fetch(host, "/")
    assert status == 200
    assert f"First post of {name(host)}" in body
    assert f"教程里的博客 {name(host)}" in body
    status, body = fetch(host, "/posts/chinese-post/")
    assert status == 200
    assert "数据不能丢。" in body


def test_the_stack_runs_on_the_tutorials_volume_and_made_no_other(host):
    mounts = json.loads(
        host.check_output(f"docker inspect --format '{{{{json .Mounts}}}}' {db_container(host)}")
    )
    assert [m["Name"] for m in mounts if m["Destination"] == "/var/lib/mysql"] == [
        VOLUMES[name(host)]
    ]
    volumes = host.check_output("docker volume ls --quiet").split()
    # No second, empty database volume beside the tutorial's.
    assert [v for v in volumes if "mysql" in v] == [VOLUMES[name(host)]]


def test_the_old_containers_are_gone_after_a_dump_that_holds_the_rows(host):
    names = host.check_output("docker ps --all --format '{{.Names}}'").split()
    assert not set(RETIRED[name(host)]) & set(names)
    dumps = host.check_output("ls /var/backups/blog").split()
    assert dumps, "no dump of the tutorial's database"
    first = f"/var/backups/blog/{sorted(dumps)[0]}"
    assert host.file(first).mode == 0o600
    content = host.check_output(f"zcat {first}")
    assert f"First post of {name(host)}" in content
    # Taken before the stack's database container existed.
    dumped = int(host.check_output(f"stat --format %Y {first}"))
    created = host.check_output(f"docker inspect --format '{{{{.Created}}}}' {db_container(host)}")
    started = int(host.check_output(f"date --date '{created}' +%s"))
    assert dumped <= started


def test_the_tutorials_root_password_no_longer_opens_the_database(host):
    refused = host.run(
        f"docker exec {db_container(host)}"
        " sh -c 'MYSQL_PWD=123456 mysql --user=root --execute=\"SELECT 1\"'"
    )
    assert refused.rc != 0
    assert "Access denied" in refused.stderr


def test_the_admins_docker_opts_mirror_is_kept(host):
    assert MIRROR_FLAG in host.file("/etc/default/docker").content_string
    mirrors = json.loads(
        host.check_output("docker info --format '{{json .RegistryConfig.Mirrors}}'")
    )
    assert mirrors == ["http://dockyard-lab-mirror:5000/"]


@pytest.fixture
def second_setup(host):
    """Another hand-made database and web container on takeover-a, cleaned up after."""
    if name(host) != "takeover-a":
        pytest.skip("one server is enough for the refusals")
    host.run_expect([0], "docker volume create mysql-data-2 && docker volume create orphan-data")
    host.run_expect(
        [0],
        "docker run -d --name mysql2 -v mysql-data-2:/var/lib/mysql -e MYSQL_ROOT_PASSWORD=123456"
        " dockyard-lab-mirror:5000/lab/mysql:9.7",
    )
    host.run_expect(
        [0],
        "docker run -d --name django2 -p 8001:8000 -e DJANGO_SECRET_KEY=x"
        " dockyard-lab-private:5000/blog/web:1.0.0",
    )
    yield
    host.run("docker rm --force mysql2 django2")
    host.run("docker volume rm mysql-data-2 orphan-data")


SECOND = {
    "django_stack_project_name": "blog2",
    "django_stack_dir": "/opt/blog2",
    "django_stack_network": "blog2-net",
    "django_stack_backup_dir": "/var/backups/blog2",
    "django_stack_takeover_containers": [],
    "django_stack_takeover_volume": "",
    "django_stack_takeover_db_root_password": "",
}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"django_stack_web_port": 8001, "django_stack_db_volume": "mysql-data-2"},
            [
                "django2",
                "holds port 8001",
                "mysql2",
                "holds volume mysql-data-2",
                "django_stack_takeover_containers",
            ],
        ),
        (
            {"django_stack_web_port": 8002, "django_stack_db_volume": "orphan-data"},
            [
                "Volume orphan-data already exists",
                "made by hand",
                "django_stack_takeover_volume: orphan-data",
            ],
        ),
    ],
    ids=["containers-on-the-port-and-volume", "volume-made-by-hand"],
)
def test_without_takeover_variables_the_preflight_refuses_before_any_change(
    host, second_setup, overrides, expected
):
    before = {
        path: host_file_digest(host, path)
        for path in ("/etc/default/docker", "/etc/docker/daemon.json")
    }
    run = ansible_playbook(SITE, limit=name(host), extra_vars={**SECOND, **overrides})
    assert run.returncode != 0
    message = failure_message(run.stdout)
    for part in expected:
        assert part in message, message
    # Stopped before the engine's role: the daemon untouched, no project, the others as they were.
    assert "docker_engine :" not in run.stdout
    assert {path: host_file_digest(host, path) for path in before} == before
    assert not host.file("/opt/blog2").exists
    running = host.check_output("docker ps --format '{{.Names}}'").split()
    assert {"mysql2", "django2"} <= set(running)
    assert "123456" not in run.stdout
    checked = "daemon files unchanged, no project directory, the hand-made containers still running"
    if overrides["django_stack_db_volume"] == "mysql-data-2":
        record_fault(
            "takeover: hand-made containers in the way",
            "a second hand-made pair (mysql2 on volume mysql-data-2, django2 on port 8001), then "
            "site.yml for a project on that port and volume, without takeover variables",
            message,
            checked,
        )
    else:
        record_fault(
            "takeover: a database volume made by hand",
            "docker volume create orphan-data, then site.yml with "
            "django_stack_db_volume=orphan-data",
            message,
            checked,
        )
