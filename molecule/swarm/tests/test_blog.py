"""The blog as a Swarm stack: every node's edge, a rolling update no reader notices, a
drained node, a restarted database, no secret in the output, refusals before any change."""

from __future__ import annotations

import datetime
import json
import os
import tempfile
import time
from pathlib import Path

import pytest
from lab_testing import (
    Load,
    ansible_playbook,
    assert_changed_nothing,
    failure_message,
    http_get,
    lab_address,
    lab_hosts,
    verbose_rerun,
)

NODES = ("swarm-1", "swarm-2", "swarm-3")
MANAGER = "swarm-1"
EDGE_PORT = 80  # django_stack_swarm_edge_port, the role's default in inventory/swarm
PUBLIC_HOST = "blog.example.com"  # django_stack_public_url's host in inventory/swarm
SITE = "converge.yml"  # site.yml
APP = "../../playbooks/app.yml"  # a redeploy of the blog alone, as users run it
SWARM = "../../playbooks/swarm.yml"
BACKUP, RESTORE = "../../playbooks/backup.yml", "../../playbooks/restore.yml"
RECORD = "/opt/blog/restore-unfinished.json"  # django_stack_dir's, on the first manager
SERVICES = ("blog_db", "blog_web", "blog_edge")
PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[3]))
REPORT = PROJECT / "docs" / "swarm.md"


def edge_url(node: str, path: str = "/") -> str:
    return f"http://{lab_address(node)}:{EDGE_PORT}{path}"


def read(node: str, path: str = "/", timeout: float = 120) -> tuple[int, str]:
    """The blog through the node's edge port, as a reader of the public name asks."""
    return http_get(edge_url(node, path), timeout, headers={"Host": PUBLIC_HOST})


@pytest.fixture(scope="module")
def servers():
    return lab_hosts(NODES)


@pytest.fixture(scope="module")
def manager(servers):
    return servers[MANAGER]


def write_post(servers, title: str) -> None:
    """A post written through a web task's own Django, on whichever node that task runs."""
    manager = servers[MANAGER]
    for _ in range(30):
        tasks = manager.check_output(
            "docker service ps blog_web --filter desired-state=running --no-trunc"
            " --format '{{.Node}} {{.Name}}.{{.ID}}'"
        ).splitlines()
        for node, container in (task.split() for task in tasks):
            post = f"manage.py create_post --title '{title}' --body kept"
            made = servers[node].run(f"docker exec {container} python3 {post}")
            if made.rc == 0:
                return
        time.sleep(2)
    raise AssertionError(f"no web task took the post {title!r}")


def page_has(node: str, title: str) -> bool:
    status, body = read(node)
    return status == 200 and title in body


def service_versions(manager) -> dict[str, str]:
    """Each stack service's spec version and image: what a refused run must leave as it was."""
    return {
        service: manager.check_output(
            f"docker service inspect --format '{{{{.Version.Index}}}} "
            f"{{{{.Spec.TaskTemplate.ContainerSpec.Image}}}}' {service}"
        )
        for service in SERVICES
    }


def web_env(manager) -> str:
    return manager.check_output(
        "docker service inspect --format '{{json .Spec.TaskTemplate.ContainerSpec.Env}}' blog_web"
    )


def web_image(manager) -> str:
    return manager.check_output(
        "docker service inspect --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}' blog_web"
    )


def lab_secrets() -> list[str]:
    folder = PROJECT / ".lab" / "secrets"
    names = ("swarm-db-password", "swarm-db-root-password", "swarm-django-secret-key")
    values = [(folder / n).read_text().split()[0] for n in names]
    return [*values, (PROJECT / ".lab" / "private-registry-password").read_text().strip()]


def test_a_second_site_run_changes_nothing_and_prints_no_secret():
    """Molecule's idempotence step, run first here at -vv (the scenario leaves the step
    out): nothing changes on any node, and no secret value is in the arguments and
    results -vv shows."""
    run = verbose_rerun(SITE, "all")
    assert_changed_nothing(run, NODES)
    assert "task path:" in run.stdout  # -vv's output
    secrets = lab_secrets()
    assert all(len(s) >= 16 for s in secrets)
    assert [s for s in secrets if s in run.stdout] == []


def test_the_blog_answers_on_every_nodes_edge_port():
    for node in NODES:
        status, body = read(node, "/healthz")
        assert status == 200, node
        assert json.loads(body) == {"status": "ok", "database": "ok"}
        assert read(node)[0] == 200, node


def test_the_stack_runs_as_the_inventory_says(manager):
    rows = manager.check_output(
        "docker service ls --filter label=com.docker.stack.namespace=blog"
        " --format '{{.Name}} {{.Mode}} {{.Replicas}}'"
    ).splitlines()
    assert sorted(rows) == [
        "blog_db replicated 1/1",
        "blog_edge global 3/3",
        "blog_web replicated 2/2",
    ]
    # The database runs on the labelled node only, on the volume of the fixed name.
    assert (
        manager.check_output(
            "docker service ps blog_db --filter desired-state=running --format '{{.Node}}'"
        )
        == "swarm-1"
    )
    mounts = json.loads(
        manager.check_output(
            "docker service inspect --format '{{json .Spec.TaskTemplate.ContainerSpec.Mounts}}'"
            " blog_db"
        )
    )
    assert [m["Source"] for m in mounts] == ["mysql-data"]
    # Secrets are Swarm secrets of versioned names, mounted where the compose topology has them.
    secrets = json.loads(
        manager.check_output(
            "docker service inspect --format '{{json .Spec.TaskTemplate.ContainerSpec.Secrets}}'"
            " blog_web"
        )
    )
    assert sorted((s["SecretName"].rsplit("_v", 1)[0], s["File"]["Name"]) for s in secrets) == [
        ("blog_db_password", "db_password"),
        ("blog_django_secret_key", "django_secret_key"),
    ]


def test_the_stack_is_hardened_as_the_compose_stack_is(servers, manager):
    network = json.loads(manager.check_output("docker network inspect blog-net"))[0]
    assert network["Attachable"] is False
    # Unencrypted as the lab's override asks (no ESP in this kernel); the encrypted side of
    # the setting is tests/unit/test_stack_template.py's.
    assert "encrypted" not in (network["Options"] or {}), network["Options"]
    # Only the stack's services join it: a container started by hand is refused.
    joined = manager.run("docker run --rm --network blog-net busybox:latest true")
    assert joined.rc != 0 and "attach" in joined.stderr.lower(), joined.stderr
    for service in SERVICES:
        limits = json.loads(
            manager.check_output(
                "docker service inspect --format '{{json .Spec.TaskTemplate.Resources.Limits}}' "
                + service
            )
        )
        assert limits.get("Pids") == 512, (service, limits)  # django_stack_pids_limit
    # no-new-privileges from the daemons' default (docker_daemon_options), in every container.
    seen = set()
    for node, server in servers.items():
        for cid in server.check_output(
            "docker ps --quiet --filter label=com.docker.stack.namespace=blog"
        ).split():
            status = server.check_output(f"docker exec {cid} cat /proc/1/status")
            assert "NoNewPrivs:\t1" in status, (node, cid)
            seen.add(node)
    assert seen == set(NODES)


def write_report(requests: int, failures: int, seconds: float) -> None:
    REPORT.write_text(
        "# Rolling update of the swarm stack, measured\n\n"
        "Written by `molecule/swarm/tests/test_blog.py::test_a_rolling_update_keeps_posts"
        "_and_fails_no_request` on each run of the swarm scenario; do not edit.\n\n"
        "A client on the test machine reads `/` through the three nodes' edge ports in turn\n"
        "(one request every 0.1 s) while `playbooks/app.yml` moves the web image from\n"
        "`lab/blog:latest` to `lab/blog:2` (2 web tasks, start-first, one at a time).\n\n"
        "| measured (UTC) | requests | failed | update run (s) |\n"
        "|---|---|---|---|\n"
        f"| {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} | {requests} | {failures}"
        f" | {seconds:.0f} |\n"
    )


@pytest.fixture(scope="module")
def rolling_update(servers, manager):
    """A post, then a rolling update of the web image (tag 2) while a client reads, then
    the update back to the inventory's tag: what the blog looked like throughout."""
    title = "Kept through a rolling update"
    write_post(servers, title)
    before = web_image(manager)
    urls = [edge_url(node) for node in NODES]
    reader = Load(urls, host_header=PUBLIC_HOST, clients=1, limit=3000, pace=0.1).start()
    started = time.monotonic()
    update = ansible_playbook(APP, limit="all", extra_vars={"django_stack_web_image_tag": "2"})
    seconds = time.monotonic() - started
    reader.stop()
    seen = {
        "title": title,
        "before": before,
        "update": update,
        "seconds": seconds,
        "reader": reader,
        "during": web_image(manager),
        "pages": {node: page_has(node, title) for node in NODES},
    }
    back = ansible_playbook(APP, limit="all")
    seen |= {"back": back, "after": web_image(manager), "kept": page_has(MANAGER, title)}
    return seen


def test_a_rolling_update_keeps_posts_and_fails_no_request(rolling_update):
    seen = rolling_update
    assert seen["update"].returncode == 0, seen["update"].stdout[-3000:]
    assert ":2@sha256:" in seen["during"] and seen["during"] != seen["before"]
    assert all(seen["pages"].values()), seen["pages"]
    reader = seen["reader"]
    write_report(len(reader.answers), len(reader.failed), seen["seconds"])
    assert len(reader.answers) > 100, "the client read throughout the update"
    assert reader.failed == [], reader.failed[:10]

    assert seen["back"].returncode == 0, seen["back"].stdout[-3000:]
    assert ":latest@sha256:" in seen["after"]
    assert seen["kept"]


def web_nodes(manager) -> list[str]:
    return manager.check_output(
        "docker service ps blog_web --filter desired-state=running --format '{{.Node}}'"
    ).split()


def test_draining_a_node_moves_its_web_tasks_and_the_others_answer(manager):
    drained = "swarm-3"  # a node without the database's label
    with tempfile.TemporaryDirectory() as folder:
        extra = Path(folder) / "drain.yml"
        extra.write_text(
            f"all:\n  hosts:\n    {drained}:\n      docker_swarm_node_availability: drain\n"
        )
        drain = ansible_playbook(SWARM, limit="all", args=("--inventory", str(extra)))
    assert drain.returncode == 0, drain.stdout[-3000:]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        nodes = web_nodes(manager)
        running = manager.check_output(
            "docker service ls --filter name=blog_web --format '{{.Replicas}}'"
        )
        if drained not in nodes and running == "2/2":
            break
        time.sleep(3)
    assert drained not in web_nodes(manager)
    assert running == "2/2"
    for node in NODES:
        if node != drained:
            assert read(node)[0] == 200, node

    active = ansible_playbook(SWARM, limit="all")
    assert active.returncode == 0, active.stdout[-3000:]
    assert (
        manager.check_output(f"docker node inspect --format '{{{{.Spec.Availability}}}}' {drained}")
        == "active"
    )
    assert read(drained)[0] == 200  # its edge task is back


def test_a_forced_restart_of_the_database_keeps_every_post(servers, manager):
    title = "Kept through a database restart"
    write_post(servers, title)
    before = manager.check_output(
        "docker service ps blog_db --filter desired-state=running --format '{{.ID}}'"
    )
    manager.run_expect([0], "docker service update --force --detach=false blog_db")
    after = manager.check_output(
        "docker service ps blog_db --filter desired-state=running --format '{{.ID}}'"
    )
    assert after != before, "a new database task"
    status, body = read(MANAGER, "/healthz", timeout=180)
    assert status == 200 and json.loads(body)["database"] == "ok"
    assert page_has(MANAGER, title)
    assert page_has(MANAGER, "Kept through a rolling update")


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ({"django_stack_web_image_source": "build"}, "django_stack_web_image_source is build"),
        ({"docker_swarm_node_labels": {}}, "No node of the swarm"),
        (
            {"docker_swarm_node_labels": {"blog.db": "true"}},
            'Several nodes have the node label blog.db: "true" (swarm-1, swarm-2, swarm-3)',
        ),
    ],
)
def test_a_swarm_the_stack_cannot_run_on_is_refused_before_any_change(manager, extra, said):
    before = service_versions(manager)
    run = ansible_playbook(SITE, limit="all", extra_vars=extra)
    assert run.returncode != 0
    message = failure_message(run.stdout)
    assert said in message, message
    assert "Nothing was changed" in message
    assert "docker_engine :" not in run.stdout  # stopped before the first role
    assert service_versions(manager) == before


def test_a_restore_through_the_manager_brings_back_its_dump_and_the_web_tasks(servers, manager):
    kept, later = "Kept in the swarm dump", "Written after the swarm dump"
    write_post(servers, kept)
    backup = ansible_playbook(BACKUP, limit=MANAGER)
    assert backup.returncode == 0, failure_message(backup.stdout)
    write_post(servers, later)
    assert page_has(MANAGER, later)
    replicas = manager.check_output(
        "docker service inspect --format '{{.Spec.Mode.Replicated.Replicas}}' blog_web"
    )
    restored = ansible_playbook(RESTORE, limit=MANAGER)  # the latest dump: backup.yml's
    assert restored.returncode == 0, failure_message(restored.stdout) or restored.stdout[-3000:]
    assert "Restored /var/backups/blog/blog-" in restored.stdout
    assert page_has(MANAGER, kept) and not page_has(MANAGER, later)
    assert page_has(MANAGER, "Kept through a rolling update")
    assert (
        manager.check_output(
            "docker service inspect --format '{{.Spec.Mode.Replicated.Replicas}}' blog_web"
        )
        == replicas
    ), "the web service scaled back to its replicas"
    assert not manager.file(RECORD).exists


def test_a_deploy_over_an_unfinished_restore_is_refused_on_the_swarm(manager):
    # What a restore cut off mid-load leaves on the first manager (the compose topology's
    # cut-off restores are the faults scenario's).
    record = {"dump": "/var/backups/blog/cut.sql.gz", "before": "/var/backups/blog/before.sql.gz"}
    manager.run_expect([0], f"echo '{json.dumps(record)}' > {RECORD}")
    try:
        before = service_versions(manager)
        run = ansible_playbook(APP, limit="all")
        message = failure_message(run.stdout)
        assert run.returncode != 0
        assert "did not finish" in message and record["before"] in message, message
        assert "Nothing was changed" in message
        assert service_versions(manager) == before
    finally:
        manager.run(f"rm -f {RECORD}")


def db_container(servers) -> str:
    return servers[MANAGER].check_output(
        "docker ps --quiet --filter label=com.docker.swarm.service.name=blog_db"
    )


def migration_job(manager) -> str:
    return manager.run("docker service ps --format '{{.CurrentState}}' blog_migrate").stdout.strip()


def transcript(run) -> str:
    """The part of a deploy's output from the wait for a leftover job on, for a failure."""
    start = max(run.stdout.find("Wait for a migration job"), 0)
    return run.stdout[start : start + 5000]


def test_a_migration_still_running_at_its_timeout_is_left_to_finish(servers, manager):
    # Another session holds django_migrations locked for writing: the job's `migrate`, which
    # reads that table first, waits on it as it would on a long schema change.
    title = "Kept through a long migration"
    write_post(servers, title)
    db = db_container(servers)
    sql = "LOCK TABLES django_migrations WRITE; SELECT SLEEP(600)"
    lock = (
        'sh -c \'MYSQL_PWD="$(cat /run/secrets/db_root_password)" mysql --user=root blog'
        f' --execute="{sql}"\''
    )
    servers[MANAGER].run_expect([0], f"docker exec --detach {db} {lock}")
    # A new stack file: the deploy migrates. No dump first: it would wait on the lock too.
    change = {"django_stack_hsts_seconds": 60, "django_stack_backup_before_deploy": False}
    short = {**change, "django_stack_health_timeout": 60, "django_stack_migration_timeout": 6}
    before = web_image(manager), web_env(manager)
    try:
        run = ansible_playbook(APP, limit="all", extra_vars=short)
        message = failure_message(run.stdout)
        assert run.returncode != 0
        assert "The migration job blog_migrate still runs after" in message, transcript(run)
        assert "is left running" in message
        assert migration_job(manager).startswith("Running")
        assert (web_image(manager), web_env(manager)) == before  # the old release serves
        assert page_has(MANAGER, title)

        # A deploy while it still runs waits for it (several tries: 7 s, every 3 s), then
        # stops without touching anything.
        versions = service_versions(manager)
        again = ansible_playbook(
            APP, limit="all", extra_vars={**short, "django_stack_migration_timeout": 7}
        )
        message = failure_message(again.stdout)
        assert again.returncode != 0
        assert "of an earlier deploy still runs" in message, transcript(again)
        assert migration_job(manager).startswith("Running")
        assert service_versions(manager) == versions
    finally:
        # The session's client ends, and with its connection the lock.
        servers[MANAGER].run("pkill --full 'SLEEP.600.'")
    # The lock released, the job finishes; the next deploy removes it and migrates again.
    for _ in range(60):
        if migration_job(manager).startswith("Complete"):
            break
        time.sleep(2)
    assert migration_job(manager).startswith("Complete")
    done = ansible_playbook(APP, limit="all", extra_vars=change)
    assert done.returncode == 0, failure_message(done.stdout) or done.stdout[-3000:]
    assert "DJANGO_HSTS_SECONDS=60" in web_env(manager)
    assert migration_job(manager) == ""  # removed once it ended
    assert page_has(MANAGER, title)
