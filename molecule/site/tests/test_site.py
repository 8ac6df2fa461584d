"""The whole site on two lab servers: the blog through its port, the mirror, kept data."""

import functools
import json
import subprocess

import pytest
from lab_testing import ansible_playbook, http_get, lab_hosts, recap, task_result

SITE = "../../site.yml"
APP = "../../playbooks/app.yml"  # a redeploy of the blog alone, as users run it
PORTS = {"site-1": 18100, "site-2": 18101}
PROJECT = "--project-directory /opt/blog --file /opt/blog/docker-compose.yml --project-name blog"


def name(host):
    return host.backend.get_hostname()


def fetch(host, path, timeout=120):
    """GET a page through the port the server publishes on this machine, as a visitor would."""
    return http_get(f"http://127.0.0.1:{PORTS[name(host)]}{path}", timeout)


def compose(host):
    if host.run("docker compose version").rc == 0:
        return f"docker compose {PROJECT}"
    return f"docker-compose {PROJECT}"


def container_ids(host):
    return sorted(host.check_output(f"{compose(host)} ps -q").split())


@functools.cache
def on_every_server(playbook: str, args: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """One run against both servers, shared by their tests (Ansible works on the two in
    parallel): for runs that only read, whose result each server's test checks for itself."""
    return ansible_playbook(playbook, limit=",".join(PORTS), args=args)


def task_reached(output, task, host):
    """Whether the run's output for the task (ok, changed or skipping) names this host: a
    run shared by both servers must show the tag selected the task on each of them."""
    return task_result(output, task, name(host)) is not None


def test_blog_answers_through_the_published_port(host):
    status, body = fetch(host, "/healthz")
    assert status == 200
    assert json.loads(body) == {"status": "ok", "database": "ok"}
    assert fetch(host, "/")[0] == 200


def test_the_blogs_database_is_mysql_as_django_sees_it(host):
    # Asked through the blog's own connection: inventory/lab names real MySQL 9.7.
    script = (
        "from django.db import connection as c; cur = c.cursor(); "
        "cur.execute('SELECT VERSION(), @@version_comment'); "
        "print(c.vendor, c.mysql_is_mariadb, *cur.fetchone())"
    )
    said = host.check_output(
        f"{compose(host)} exec -T web python3 manage.py shell -c {json.dumps(script)}"
    )
    vendor, is_mariadb, version, *_ = said.split()[-4:]
    assert (vendor, is_mariadb) == ("mysql", "False"), said
    assert version.startswith("9.7."), said


def test_the_daemon_pulls_docker_hub_names_through_the_mirror(host):
    mirrors = host.check_output("docker info --format '{{json .RegistryConfig.Mirrors}}'")
    assert json.loads(mirrors) == ["http://dockyard-lab-mirror:5000/"]
    # Docker Hub is unreachable from the lab: a Hub name can only come through the mirror.
    host.run("docker rmi busybox:latest")
    pulled = host.run("docker pull busybox:latest")
    assert pulled.rc == 0, pulled.stderr
    assert host.run("docker pull hello-world:latest").rc != 0  # not on the mirror: no other way


@pytest.fixture(scope="module")
def redeploy():
    """A post on each server, then a redeploy of both that moves the time zone (which
    recreates the web and database containers), then one that moves it back: what each
    server looked like before, between and after."""
    servers = lab_hosts(tuple(PORTS))
    seen = {}
    for server, h in servers.items():
        title = f"Kept through a redeploy of {server}"
        post = f"manage.py create_post --title '{title}' --body kept"
        h.run_expect([0], f"{compose(h)} exec -T web python3 {post}")
        seen[server] = {"title": title, "before": container_ids(h)}
    limit = ",".join(servers)
    paris = {"django_stack_time_zone": "Europe/Paris"}
    moved = ansible_playbook(APP, limit=limit, extra_vars=paris)
    for server, h in servers.items():
        seen[server] |= {"moved": moved, "between": container_ids(h), "page": fetch(h, "/")}
    back = ansible_playbook(APP, limit=limit)
    for server, h in servers.items():
        seen[server] |= {"back": back, "after": fetch(h, "/")}
    return seen


def test_a_post_survives_a_redeploy_that_replaces_both_containers(host, redeploy):
    seen = redeploy[name(host)]
    assert seen["moved"].returncode == 0, seen["moved"].stdout
    assert not set(seen["between"]) & set(seen["before"])
    status, body = seen["page"]
    assert status == 200 and seen["title"] in body

    assert seen["back"].returncode == 0, seen["back"].stdout
    assert recap(seen["back"].stdout, name(host))["changed"] > 0
    status, body = seen["after"]
    assert status == 200 and seen["title"] in body


def test_check_mode_on_the_converged_site_reports_no_change(host):
    dry = on_every_server(SITE, ("--check",))
    assert dry.returncode == 0, dry.stdout
    counters = recap(dry.stdout, name(host))
    assert counters["changed"] == 0 and counters["failed"] == 0, dry.stdout
    # A minimal server (no ss, no netstat): the one read of the host (its ports from /proc)
    # runs in a dry run too, and the port check decides from it.
    reader = (
        "dockyard_blog.hosts.django_stack_takeover : "
        "Read the containers and the database volume already on the host"
    )
    assert task_result(dry.stdout, reader, name(host)) == "ok"
    port = (
        "dockyard_blog.hosts.django_stack_compose : "
        "Check the web port is free, or held by the blog itself"
    )
    assert task_result(dry.stdout, port, name(host)) == "ok"


@pytest.mark.parametrize(
    ("tag", "ran", "not_ran"),
    [
        # (django_stack's check for what is in the way runs, tagged always, before the engine.)
        # (On a converged site the daemon's writes are not even included: its read runs.)
        (
            "daemon",
            "docker_daemon : Read daemon.json, the defaults file, the unit and the running daemon",
            [
                "docker_engine :",
                "docker_compose :",
                "dockyard_blog.hosts.django_stack_compose : Write the compose project",
            ],
        ),
        # Tasks of the roles django_stack includes (its rooms) carry the role's tag.
        (
            "app",
            "dockyard_blog.hosts.django_stack_compose : Check the site answers",
            ["docker_engine :", "docker_daemon :"],
        ),
    ],
)
def test_a_tag_runs_its_concern_and_the_checks_only(host, tag, ran, not_ran):
    run = on_every_server(SITE, ("--tags", tag))
    assert run.returncode == 0, run.stdout[-3000:]
    assert task_reached(run.stdout, ran, host), run.stdout[-3000:]
    assert "dockyard_preflight : Check the blog's secrets" in run.stdout  # always
    # Argument validation is tagged "always" by Ansible; every other task of those roles is out.
    others = [
        line
        for line in run.stdout.splitlines()
        if line.startswith(tuple(f"TASK [{prefix}" for prefix in not_ran))
        and "Validating arguments" not in line
    ]
    assert others == []
    assert recap(run.stdout, name(host))["changed"] == 0


def test_a_web_image_the_registry_lacks_stops_before_any_container_is_replaced(host):
    if name(host) != "site-2":
        pytest.skip("site-2 pulls its web image from the private registry")
    before = container_ids(host)
    missing = ansible_playbook(
        APP, limit="site-2", extra_vars={"django_stack_web_image_tag": "no-such-tag"}
    )
    said = " ".join(missing.stdout.split())
    assert missing.returncode != 0
    assert (
        "Could not pull the web image dockyard-lab-private:5000/lab/blog:no-such-tag"
        " from dockyard-lab-private:5000" in said
    ), missing.stdout[-3000:]
    assert "No dump was taken and no container replaced" in said
    assert container_ids(host) == before
    assert fetch(host, "/healthz")[0] == 200
    # The tag as the inventory names it: the same containers go on serving.
    again = ansible_playbook(APP, limit="site-2")
    assert again.returncode == 0, again.stdout[-3000:]
    assert container_ids(host) == before
