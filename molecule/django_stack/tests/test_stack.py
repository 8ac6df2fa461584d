"""The blog stack serves, keeps its data through everything, and hides its secrets."""

import datetime
import json
import re
import shlex
import socket
import subprocess
import time

import pytest
from lab_testing import (
    ansible_playbook,
    assert_changed_nothing,
    failure_message,
    lab_hosts,
    start_playbook,
    task_result,
    verbose_rerun,
    wait_for_output,
)

TITLE = "Data survives stop rm and redeploy"
SERVERS = ("stack-bookworm", "stack-trixie")
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


# The runs below go against both servers at once (Ansible works on them in parallel); each
# server's test checks what its own server showed.
MIGRATE = (
    "dockyard_blog.hosts.django_stack_compose : Wait for the database to accept the blog's login"
)
BLOG = "docker ps -aq --filter label=com.docker.compose.project=blog"
RUNNING = BLOG + " --filter status=running"


def name(host):
    return host.backend.get_hostname()


@pytest.fixture(scope="module")
def servers():
    """Both servers, each holding the post the tests look for."""
    found = lab_hosts(SERVERS)
    for server in found.values():
        if TITLE not in get(server, "/")[1]:
            server.run_expect([0], f"{compose(server)} exec -T web python3 manage.py "
                                   f"create_post --title '{TITLE}' --body kept")  # fmt: skip
    return found


def on_both(servers, **extra_vars):
    return ansible_playbook("stack.yml", limit=",".join(servers), extra_vars=extra_vars or None)


@pytest.fixture(scope="module")
def rerun(servers):
    """The converge again at -vv, before any other test: Molecule's idempotence step (the
    scenario leaves it out), which must also restart nothing and print no secret."""
    before = {s: started_at(h) for s, h in servers.items()}
    result = verbose_rerun("converge.yml", ",".join(SERVERS))
    return {
        s: {"result": result, "before": before[s], "after": started_at(h), "page": get(h, "/")[1]}
        for s, h in servers.items()
    }


def test_rerun_changes_nothing_and_restarts_no_container(host, rerun):
    seen = rerun[name(host)]
    result = seen["result"]
    assert_changed_nothing(result, [name(host)])
    assert seen["after"] == seen["before"]
    assert TITLE in seen["page"]
    # Nothing changed since the last deploy migrated: no migration container is started.
    assert task_result(result.stdout, MIGRATE, name(host)) == "skipping", result.stdout[-3000:]


def test_the_deploy_that_changed_what_runs_is_the_current_release(host, rerun):
    """The converge's deploy recorded a release (the rerun, changing nothing, none): the web
    image by the id the container runs, the migrations it applied; releases.yml lists it."""
    current = host.file("/opt/blog/releases/current").content_string.strip()
    record = json.loads(host.file(f"/opt/blog/releases/{current}.json").content_string)
    web = host.check_output(f"{compose(host)} ps -q web")
    assert record["web_image_id"] == host.check_output(
        f"docker inspect --format '{{{{.Image}}}}' {web}"
    )
    assert any(line.startswith("Applying posts.0001_initial") for line in record["migrations"]), (
        record
    )
    assert record["previous"] == "" or record["previous"] < current
    listed = ansible_playbook("../../playbooks/releases.yml", limit=name(host))
    assert listed.returncode == 0, failure_message(listed.stdout) or listed.stdout[-3000:]
    assert f"{current} (current): " in listed.stdout


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


def db_sql(host, query):
    """One query as the database's root, by the client the image has (mysql or mariadb)."""
    script = (
        'MYSQL_PWD="$(cat /run/secrets/db_root_password)" '
        '"$(command -v mysql || command -v mariadb)" --user=root -N -e "$1"'
    )
    argv = f"sh -c {shlex.quote(script)} sh {shlex.quote(query)}"
    return host.check_output(f"{compose(host)} exec -T db {argv}").strip()


# The one MariaDB server of the suite, and real MySQL on the other.
SERVER_OF = {"stack-bookworm": "MariaDB", "stack-trixie": "MySQL"}


def test_the_database_is_the_server_the_inventory_names(host):
    version = db_sql(host, "SELECT CONCAT(VERSION(), ' ', @@version_comment)")
    if SERVER_OF[name(host)] == "MariaDB":
        assert version.startswith("11.8.") and "MariaDB" in version, version
        assert host.run(f"{compose(host)} exec -T db sh -c 'command -v mysqladmin'").rc != 0
    else:
        assert version.startswith("9.7.") and "MariaDB" not in version, version
        plugin = db_sql(host, "SELECT plugin FROM mysql.user WHERE user = 'blog'")
        assert plugin == "caching_sha2_password"


def test_database_uses_utf8mb4_and_the_time_zone(host):
    web = host.check_output(f"{compose(host)} ps -q web")
    env = host.check_output(f"docker inspect --format '{{{{json .Config.Env}}}}' {web}")
    assert "TZ=Asia/Shanghai" in json.loads(env)
    assert db_sql(host, "SELECT @@character_set_server") == "utf8mb4"


def test_post_survives_compose_down_and_up(host):
    host.run_expect([0], f"{compose(host)} down")
    assert host.run("docker volume inspect mysql-data").rc == 0
    host.run_expect([0], f"{compose(host)} up -d")
    assert TITLE in get(host, "/")[1]


def test_post_survives_a_docker_daemon_restart(host):
    host.run_expect([0], "systemctl restart docker")
    assert TITLE in get(host, "/")[1]


# The run's lock (django_stack_lock), in /run on the server: as a killed run leaves it.
LOCK = "/run/lock/dockyard-blog.lock"
LOCK_TASK = "TASK [dockyard_blog.hosts.django_stack_lock : Take the blog's lock"
LEFT = {
    "token": "f" * 32,
    "holder": {"user": "alice", "controller": "laptop", "operation": "django_stack_state present"},
    "since": "2026-12-04T09:00:00+00:00",
}


def leave_lock(server):
    server.run_expect([0], f"printf '%s' {shlex.quote(json.dumps(LEFT))} > {LOCK}")


def test_a_held_lock_makes_a_run_wait_then_stop_naming_its_holder(servers, tmp_path):
    server, limit = servers["stack-trixie"], "stack-trixie"
    before = started_at(server)
    leave_lock(server)
    try:
        stopped = ansible_playbook(
            "stack.yml", limit=limit, extra_vars={"django_stack_lock_wait": 2}
        )
        assert stopped.returncode != 0
        message = failure_message(stopped.stdout)
        assert "user alice" in message and "since 2026-12-04T09:00:00+00:00" in message, message
        assert "waited 2 s" in message and "-e django_stack_lock_break=true" in message
        assert json.loads(server.file(LOCK).content_string)["token"] == LEFT["token"]
        # A run that may wait longer goes on once the holder gives the lock back.
        output = tmp_path / "waiting.log"
        waiting = start_playbook("stack.yml", output, limit=limit,
                                 extra_vars={"django_stack_lock_wait": 120})  # fmt: skip
        wait_for_output(waiting, output, LOCK_TASK, timeout=120)
        time.sleep(5)
        assert waiting.poll() is None, output.read_text()[-3000:]
        assert json.loads(server.file(LOCK).content_string)["token"] == LEFT["token"]
        server.run_expect([0], f"rm {LOCK}")
        assert waiting.wait(timeout=300) == 0, output.read_text()[-3000:]
    finally:
        server.run(f"rm -f {LOCK}")
    assert not server.file(LOCK).exists, "the run gave its lock back"
    assert started_at(server) == before, "no container restarted by either run"
    assert TITLE in get(server, "/")[1]


def test_a_left_lock_is_broken_only_when_asked_and_the_run_says_whose(servers):
    server = servers["stack-trixie"]
    leave_lock(server)
    try:
        run = ansible_playbook("stack.yml", limit="stack-trixie",
                               extra_vars={"django_stack_lock_break": True})  # fmt: skip
    finally:
        server.run(f"rm -f {LOCK}")
    assert run.returncode == 0, failure_message(run.stdout) or run.stdout[-3000:]
    said = " ".join(run.stdout.split())
    assert "was held by controller laptop, operation django_stack_state present, user alice" in said
    assert "since 2026-12-04T09:00:00+00:00; django_stack_lock_break removed it" in said
    assert not server.file(LOCK).exists


def test_the_lock_of_a_run_that_ended_on_this_controller_is_taken_over(servers):
    """A run stopped by Ctrl+C or killed never gives its lock back: the lock names its
    ansible-playbook process, and a later run on the same controller takes it over."""
    server = servers["stack-trixie"]
    ended = subprocess.run(["sh", "-c", "echo $$"], capture_output=True, text=True, check=True)
    left = {**LEFT, "holder": {**LEFT["holder"], "controller": socket.gethostname(),
                               "pid": int(ended.stdout), "started": "1"}}  # fmt: skip
    server.run_expect([0], f"printf '%s' {shlex.quote(json.dumps(left))} > {LOCK}")
    try:
        run = ansible_playbook("stack.yml", limit="stack-trixie")
    finally:
        server.run(f"rm -f {LOCK}")
    assert run.returncode == 0, failure_message(run.stdout) or run.stdout[-3000:]
    said = " ".join(run.stdout.split())
    assert f"pid {int(ended.stdout)}, user alice since 2026-12-04T09:00:00+00:00" in said
    assert "that run has ended (its process is gone from this controller): taken over" in said
    assert not server.file(LOCK).exists


def test_two_runs_at_once_both_succeed_one_after_the_other(servers, tmp_path):
    server = servers["stack-bookworm"]
    before = started_at(server)
    outputs = [tmp_path / "first.log", tmp_path / "second.log"]
    runs = [
        start_playbook("stack.yml", out, limit="stack-bookworm", args=("-v",)) for out in outputs
    ]
    codes = [run.wait(timeout=600) for run in runs]
    assert codes == [0, 0], [out.read_text()[-3000:] for out in outputs]
    assert not server.file(LOCK).exists
    assert started_at(server) == before
    # Each run held the lock in turn: the later one took it only once the earlier had given
    # it back, after its whole deploy (the lock's "since" is the host's time of taking it).
    taken = sorted(lock_taken_at(out.read_text()) for out in outputs)
    assert (taken[1] - taken[0]).total_seconds() >= 3, taken


def lock_taken_at(output):
    """When a -v run says it took the lock: the top-level "since" of the lock task that
    holds it (the first try, or the wait for another run's; the first try's result names
    the other run's "since" inside held_by)."""
    taken = []
    for line in output.splitlines():
        word, _, rest = line.partition(": [stack-bookworm] => ")
        if word in ("ok", "changed") and rest.startswith("{"):
            result = json.loads(rest)
            if result.get("token") and result.get("since") and "held_by" in result:
                taken.append(result["since"])
    assert len(taken) == 1, output[-3000:]
    return datetime.datetime.fromisoformat(taken[0])


def state_then_present(servers, state):
    """The stack set to `state` on both servers, then present again: what each showed."""
    result = on_both(servers, django_stack_state=state)
    seen = {
        s: {"result": result, "running": h.check_output(RUNNING), "all": h.check_output(BLOG),
            "volume": h.run("docker volume inspect mysql-data").rc}
        for s, h in servers.items()
    }  # fmt: skip
    again = on_both(servers)
    for s, h in servers.items():
        seen[s] |= {"again": again, "page": get(h, "/")[1]}
    return seen


@pytest.fixture(scope="module")
def stopped(servers, rerun):
    return state_then_present(servers, "stopped")


@pytest.fixture(scope="module")
def absent(servers, stopped):
    return state_then_present(servers, "absent")


def test_stopped_then_present_again(host, stopped):
    seen = stopped[name(host)]
    assert seen["result"].returncode == 0, seen["result"].stdout[-3000:]
    assert seen["running"] == ""
    assert seen["all"]
    assert seen["again"].returncode == 0, seen["again"].stdout[-3000:]
    assert TITLE in seen["page"]


def test_absent_keeps_the_data_volume_unless_asked(host, absent):
    seen = absent[name(host)]
    assert seen["result"].returncode == 0, seen["result"].stdout[-3000:]
    assert seen["all"] == ""
    assert seen["volume"] == 0
    assert seen["again"].returncode == 0, seen["again"].stdout[-3000:]
    assert TITLE in seen["page"]


@pytest.fixture(scope="module")
def removed(servers, absent):
    """absent with the volume removal only `true` (refused), then naming the volume; then
    present again on a new, empty volume, and the dump the removal named restored."""
    refused = on_both(servers, django_stack_state="absent", django_stack_remove_data_volume=True)
    seen = {s: {"refused": refused, "kept": h.check_output(RUNNING)} for s, h in servers.items()}
    result = on_both(
        servers, django_stack_state="absent", django_stack_remove_data_volume="mysql-data"
    )
    for s, h in servers.items():
        # This server's own report (the default callback's JSON, or YAML where configured).
        said = (
            rf'ok: \[{s}\] =>\s*{{?\s*"?msg"?:\s*"?Removed the stack'
            r"(?:(?!ok: \[).)*?Its last dump is\s+(/\S+?\.sql\.gz)"
        )
        dump = re.search(said, result.stdout, re.DOTALL)
        seen[s] |= {
            "result": result,
            "dump": dump.group(1) if dump else "",
            "volume": h.run("docker volume inspect mysql-data").rc,
            "all": h.check_output(BLOG),
        }
    # A new, empty volume: every migration is pending, and the setting stops before them.
    held = on_both(servers, django_stack_stop_for_migrations=True)
    for s, h in servers.items():
        web = h.check_output(f"{BLOG} --filter label=com.docker.compose.service=web")
        seen[s] |= {"held": held, "held_web": web}
    again = on_both(servers)
    for s, h in servers.items():
        seen[s] |= {"again": again, "empty": get(h, "/")[1]}
        restore = ansible_playbook(
            "../../playbooks/restore.yml",
            limit=s,
            extra_vars={"django_stack_restore_file": seen[s]["dump"]},
        )
        seen[s] |= {"restore": restore, "page": get(h, "/")[1]}
    return seen


def test_removing_the_volume_takes_a_last_dump_and_needs_its_name(host, removed):
    seen = removed[name(host)]
    said = failure_message(seen["refused"].stdout)
    assert seen["refused"].returncode != 0
    assert "must name the volume it deletes" in said and "mysql-data" in said, said
    assert "Nothing was changed" in said
    assert seen["kept"], "the refused run left the stack running"
    assert seen["result"].returncode == 0, seen["result"].stdout[-3000:]
    assert seen["volume"] != 0 and seen["all"] == ""
    assert seen["dump"].startswith("/var/backups/blog/blog-"), seen["result"].stdout[-3000:]
    assert TITLE in host.check_output(f"zcat {seen['dump']}")
    held = failure_message(seen["held"].stdout)
    assert seen["held"].returncode != 0
    assert "This deploy would apply" in held and "posts.0001_initial" in held, held
    assert "nothing was migrated" in held
    assert seen["held_web"] == "", "no web container started on an unmigrated database"
    assert seen["again"].returncode == 0, seen["again"].stdout[-3000:]
    assert TITLE not in seen["empty"], "a new volume, a new database"
    assert seen["restore"].returncode == 0, seen["restore"].stdout[-3000:]
    assert f"Restored {seen['dump']}" in seen["restore"].stdout, seen["restore"].stdout[-3000:]
    assert TITLE in seen["page"]


def test_secrets_never_appear_in_output(host, rerun):
    result = rerun[name(host)]["result"]
    assert result.returncode == 0, result.stdout[-3000:]
    assert "task path:" in result.stdout  # the output is -vv's, arguments and results shown
    for secret_name in ("db_root_password", "db_password", "django_secret_key"):
        secret = host.file(f"/opt/blog/secrets/{secret_name}").content_string
        assert len(secret) >= 24
        assert secret not in result.stdout, secret_name


def health_check(host, service):
    container = host.check_output(f"{compose(host)} ps -q {service}")
    return json.loads(
        host.check_output(f"docker inspect --format '{{{{json .Config.Healthcheck}}}}' {container}")
    )


def test_health_is_asked_every_second_while_starting_where_the_engine_knows_how(host):
    """Engine 25+ with Compose v2 (Debian 13): 1 s while starting, 30 s once healthy.
    Engine 20.10 with Compose v1 (Debian 12): no start interval, a few seconds throughout."""
    engine_api = host.check_output("docker version --format '{{.Server.APIVersion}}'")
    for service, steady in (("db", 3), ("web", 5)):
        check = health_check(host, service)
        if tuple(int(n) for n in engine_api.split(".")) >= (1, 44):
            assert (check["Interval"], check["StartInterval"]) == (30 * 10**9, 10**9), service
        else:
            assert check["Interval"] == steady * 10**9, service
            assert not check.get("StartInterval"), service
