"""Faults and bad input on a deployed site: what the tool says, and that nothing is lost.

Tests run in file order on one server; each leaves the site deployed and serving as the
converge left it, and records its row of docs/faults.md once its assertions passed.
"""

import base64
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lab_testing import (
    ansible_playbook,
    failure_message,
    host_file_digest,
    http_get,
    record_fault,
    task_result,
)

ROOT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
SITE, APP = "../../site.yml", "../../playbooks/app.yml"
BACKUP, RESTORE = "../../playbooks/backup.yml", "../../playbooks/restore.yml"
URL = "http://127.0.0.1:18200"
BACKUPS = "/var/backups/blog"
PROJECT = "--project-directory /opt/blog --file /opt/blog/docker-compose.yml --project-name blog"
KEPT = "Kept through every fault"
SLOW_DB = "dockyard-test/slow-db:1"
STAMP = "%Y%m%dT%H%M%SZ"  # the time in a dump's name
HOST_READER = "Read the containers and the database volume already on the host"


def name(host):
    return host.backend.get_hostname()


def fetch(path="/", timeout=180):
    """GET a page through the published port, waiting for it to answer 200."""
    return http_get(URL + path, timeout)


def run(playbook, host, extra_vars=None, args=()):
    return ansible_playbook(playbook, limit=name(host), extra_vars=extra_vars, args=args)


def manage(host, command):
    return host.check_output(f"docker compose {PROJECT} exec -T web python3 manage.py {command}")


def containers(host):
    """Every container of the project, running or not: id -> (service, start time)."""
    ids = host.check_output(
        "docker ps --all --quiet --filter label=com.docker.compose.project=blog"
    ).split()
    fmt = "'{{index .Config.Labels \"com.docker.compose.service\"}} {{.State.StartedAt}}'"
    return {i: tuple(host.check_output(f"docker inspect --format {fmt} {i}").split()) for i in ids}


def dumps(host):
    out = host.run(f"ls -1 {BACKUPS}")
    return sorted(out.stdout.split()) if out.rc == 0 else []


def latest_restores(host, path):
    """playbooks/restore.yml with latest loads the dump at path."""
    restored = run(RESTORE, host)
    assert restored.returncode == 0, restored.stdout
    assert f"Restored {path}" in restored.stdout


def ours(host):
    """The blog's dumps (blog-<time>.sql.gz), not other files of the backup directory."""
    return {f for f in dumps(host) if f.startswith("blog-2")}


def newest_dump(host):
    newest = host.check_output(f"cd {BACKUPS} && ls -1t {' '.join(ours(host))} | head -n 1")
    return f"{BACKUPS}/{newest}"


def state(host):
    """What must survive a refused or failed run unchanged."""
    return {
        "compose": host_file_digest(host, "/opt/blog/docker-compose.yml"),
        "secrets": [host_file_digest(host, f"/opt/blog/secrets/{s}") for s in SECRETS],
        "containers": containers(host),
        "dumps": dumps(host),
    }


SECRETS = ("db_root_password", "db_password", "django_secret_key")


@pytest.fixture(scope="module", autouse=True)
def kept_post(host):
    """A post every fault must leave in place."""
    manage(host, f"create_post --title '{KEPT}' --body 'written before the faults'")
    assert KEPT in fetch()[1]


def posts_intact():
    status, body = fetch()
    assert status == 200 and KEPT in body
    return "post intact"


def test_backup_playbook_dumps_consistently_and_keeps_the_newest(host):
    for _ in range(3):
        out = run(BACKUP, host, {"django_stack_backup_keep": 2})
        assert out.returncode == 0, out.stdout
    files = dumps(host)
    assert len(files) == 2
    newest = f"{BACKUPS}/{files[-1]}"
    assert host.file(newest).mode == 0o600 and host.file(BACKUPS).mode == 0o700
    assert host.run(f"gzip --test {newest}").rc == 0
    text = host.check_output(f"zcat {newest}")
    assert "CREATE DATABASE" in text and KEPT in text
    record_fault(
        "backup retention",
        "playbooks/backup.yml three times with django_stack_backup_keep=2",
        "(three dumps taken, the oldest removed: nothing to say)",
        "2 dumps left, 0600 in a 0700 directory, gzip intact, the post in the newest",
    )


def test_restore_brings_back_a_deleted_post(host):
    title = "Deleted then restored"
    manage(host, f"create_post --title '{title}' --body x")
    assert run(BACKUP, host).returncode == 0
    manage(
        host,
        'shell -c "from posts.models import Post; '
        f"Post.objects.filter(title='{title}').delete()\"",
    )
    assert title not in fetch()[1]
    before = dumps(host)

    out = run(RESTORE, host)
    assert out.returncode == 0, out.stdout
    assert title in fetch()[1]
    assert len(dumps(host)) == len(before) + 1  # the database as it was before the restore
    record_fault(
        "restore",
        "a post deleted, then playbooks/restore.yml (latest dump)",
        "Restored <dump>; the database as it was just before is in <new dump>",
        "the post is back on the page; a dump of the pre-restore database exists",
    )


def test_restore_of_a_missing_dump_is_refused(host):
    before = state(host)
    out = run(RESTORE, host, {"django_stack_restore_file": "blog-19700101T000000Z.sql.gz"})
    said = failure_message(out.stdout)
    assert out.returncode != 0
    assert "Cannot restore" in said and "Nothing was changed" in said
    assert state(host) == before
    record_fault(
        "restore: missing dump",
        "playbooks/restore.yml with a dump name that does not exist",
        said,
        "compose file, secrets, containers and dumps unchanged",
    )


def test_retention_and_latest_touch_this_projects_dumps_only(host):
    # Another project's dumps beside the blog's: blog-staging-<time> matched "blog-*".
    others = [
        f"{BACKUPS}/blog-staging-{stamp}.sql.gz"
        for stamp in ("19990101T000000Z", "29991231T000000Z")
    ]
    for other in others:
        host.run_expect([0], f"echo not-a-dump > {other}")
    try:
        refused = run(BACKUP, host, {"django_stack_backup_keep": 0})
        assert refused.returncode != 0
        assert "retention must keep at least the dump" in failure_message(refused.stdout)
        out = run(BACKUP, host, {"django_stack_backup_keep": 1})
        assert out.returncode == 0, out.stdout
        assert all(host.file(other).exists for other in others)
        blog_dumps = sorted(ours(host))
        assert len(blog_dumps) == 1
        # "latest" is the blog's newest dump, not the other project's newer name.
        latest_restores(host, f"{BACKUPS}/{blog_dumps[0]}")
    finally:
        host.run(f"rm -f {' '.join(others)}")
    record_fault(
        "backup retention beside another project's dumps",
        "blog-staging-* files in the backup directory; backup.yml with keep=0, then keep=1, "
        "then restore.yml (latest)",
        "django_stack_backup_keep is 0: retention must keep at least the dump it has just "
        "taken. Nothing was changed.",
        "the other project's files untouched; one blog dump kept; latest restores the blog's",
    )
    posts_intact()


def test_retention_keeps_the_new_dump_whatever_clock_named_the_old_ones(host):
    # A dump named by a clock far ahead of the host's (a controller's, say), though written
    # long ago: by its name the newest, by the host's file times the oldest.
    ahead = f"{BACKUPS}/blog-29991231T235959Z.sql.gz"
    host.run_expect([0], f"cp {newest_dump(host)} {ahead} && touch -d 2001-01-01 {ahead}")
    try:
        out = run(BACKUP, host, {"django_stack_backup_keep": 1})
        assert out.returncode == 0, out.stdout
        kept_names = sorted(ours(host))
        assert len(kept_names) == 1 and kept_names[0] != "blog-29991231T235959Z.sql.gz"
        kept = f"{BACKUPS}/{kept_names[0]}"
        assert host.run(f"zcat {kept} | tail -n 1 | grep -q '^-- Dump completed'").rc == 0
        # The name is the host's time of the dump: the run's last minutes by the host's clock.
        stamp = kept_names[0].removeprefix("blog-").removesuffix(".sql.gz")
        taken = datetime.strptime(stamp, STAMP).replace(tzinfo=UTC)
        host_now = datetime.strptime(host.check_output("date -u +%Y%m%dT%H%M%SZ"), STAMP)
        age = host_now.replace(tzinfo=UTC) - taken
        assert timedelta(0) <= age < timedelta(minutes=10), (stamp, host_now)
        latest_restores(host, kept)
    finally:
        host.run(f"rm -f {ahead}")
    record_fault(
        "backup retention with a dump named by another clock",
        "a complete dump named blog-29991231T235959Z (a clock ahead) but written in 2001, "
        "then backup.yml with keep=1 and restore.yml (latest)",
        "(the new dump kept, the far-future name removed: nothing to say)",
        "the dump just taken survives, named by the host's clock; latest restores it",
    )
    posts_intact()


def test_a_dump_cut_short_is_refused_before_anything_changes(host):
    short = f"{BACKUPS}/blog-20000101T000000Z.sql.gz"
    # A whole gzip file whose SQL stops before mysqldump's closing line (a dump cut short).
    host.run_expect([0], f"zcat {newest_dump(host)} | head -n -1 | gzip > {short}")
    try:
        before = state(host)
        out = run(RESTORE, host, {"django_stack_restore_file": "blog-20000101T000000Z.sql.gz"})
        said = failure_message(out.stdout)
        assert out.returncode != 0
        assert "Cannot restore" in said and "a dump cut short" in said, said
        assert "Nothing was changed" in said
        assert state(host) == before
    finally:
        host.run(f"rm -f {short}")
    record_fault(
        "restore: a dump cut short",
        "playbooks/restore.yml of a gzip-whole dump without mysqldump's closing line",
        said,
        "compose file, secrets, containers and dumps unchanged",
    )
    posts_intact()


def test_no_password_is_in_a_containers_environment_but_mysqlds_own(host):
    secrets = [host.check_output(f"cat /opt/blog/secrets/{s}") for s in SECRETS]
    for cid, (service, _) in containers(host).items():
        # What `docker inspect` and `docker exec ... env` show: the files' paths only.
        config = host.check_output(f"docker inspect --format '{{{{json .Config.Env}}}}' {cid}")
        shown = host.check_output(f"docker exec {cid} env")
        assert all(secret not in config + shown for secret in secrets), service
        assert "_FILE=/run/secrets/" in config, service
    # What remains: the mysql image's entrypoint reads the *_FILE values into its
    # environment and execs mysqld with them (the official image's contract), so mysqld's
    # own environment holds them: readable by its user (and the host's root), not by root
    # inside the container (no CAP_SYS_PTRACE) nor any other user.
    db = next(i for i, (service, _) in containers(host).items() if service == "db")
    environ = host.check_output(f"docker exec --user mysql {db} cat /proc/1/environ")
    assert secrets[0] in environ, "the documented exception changed: update docs/operations.md"
    for user in ("root", "nobody"):
        assert host.run(f"docker exec --user {user} {db} cat /proc/1/environ").rc != 0, user
    record_fault(
        "secrets in the containers' environments",
        "docker inspect's Config.Env and `docker exec env` of each container; mysqld's "
        "/proc/1/environ as its mysql user, as root and as nobody in the container",
        "(nothing to say)",
        "no secret in any container's configured environment (only *_FILE paths); mysqld's "
        "own environment holds the passwords, as the mysql image's entrypoint puts them "
        "there, readable by its mysql user only (root in the container is refused)",
    )


def test_no_password_appears_in_the_hosts_process_list(host):
    secrets = [host.check_output(f"cat /opt/blog/secrets/{s}") for s in SECRETS[:2]]
    # Every process of the server (nested containers' included), sampled as fast as ps can,
    # while a backup and a restore run and the healthcheck fires: until the three runs end
    # (however slow a loaded machine makes them), 15 minutes at most if the test dies.
    host.run_expect([0], "rm -f /tmp/ps.log; (timeout 900 sh -c 'while :; do ps -eo args; done' "
                         "> /tmp/ps.log 2>&1 &)")  # fmt: skip
    try:
        assert run(BACKUP, host).returncode == 0
        assert run(RESTORE, host).returncode == 0
        deploy = run(APP, host)  # the preflight's logins
        assert deploy.returncode == 0, failure_message(deploy.stdout)
    finally:
        host.run("pkill -f 'while :; do ps -eo args; done'")
    seen = host.check_output("cat /tmp/ps.log")
    assert "mysqldump" in seen, "the sampler saw the dump run"
    assert all(secret not in seen for secret in secrets)
    health = host.check_output(
        "docker inspect --format '{{json .Config.Healthcheck.Test}}' "
        + next(i for i, (service, _) in containers(host).items() if service == "db")
    )
    assert "--password" not in health and "MYSQL_PWD" in health
    # The restored data may predate the image's migrations: the deploy after it migrates.
    migrated = task_result(
        deploy.stdout,
        "dockyard_blog.hosts.django_stack_compose : Wait for the database to accept",
        name(host),
    )
    assert migrated in ("ok", "changed"), deploy.stdout[-3000:]
    record_fault(
        "secrets in the process list",
        "ps -eo args sampled in a loop on the server during backup.yml, restore.yml and a "
        "deploy (the preflight's logins), healthchecks firing",
        "(nothing to say)",
        "neither database password appears in any process's command line",
    )


def test_too_little_disk_refuses_the_backup_and_stops_the_deploy(host):
    host.run_expect([0], f"mount -t tmpfs -o size=2m dockyard-small {BACKUPS}")
    try:
        before = state(host)
        out = run(BACKUP, host)
        said = failure_message(out.stdout)
        assert out.returncode != 0
        assert "Not enough free disk for the backup" in said and "MiB free" in said, said
        assert state(host) == before

        # A deploy that changes the application needs its dump first: it stops before any
        # container is replaced.
        deploy = run(APP, host, {"django_stack_time_zone": "Europe/Paris"})
        assert deploy.returncode != 0
        assert "Not enough free disk" in failure_message(deploy.stdout)
        assert containers(host) == before["containers"]
    finally:
        host.run(f"umount {BACKUPS}")
    # Space freed, the same deploy again: its compose file was written by the refused run,
    # yet what runs is still the old stack, so the dump comes first all the same.
    dumped = dumps(host)
    assert run(APP, host, {"django_stack_time_zone": "Europe/Paris"}).returncode == 0
    new_dumps = sorted(set(dumps(host)) - set(dumped))
    assert len(new_dumps) == 1, "the retried deploy took its dump"
    dump_time = float(host.check_output(f"stat --format %Y {BACKUPS}/{new_dumps[0]}"))
    for started in (t for _, t in containers(host).values()):
        started_at = host.check_output(f"date --date {started} +%s")
        assert dump_time <= float(started_at), "the dump was taken before containers changed"
    assert run(APP, host).returncode == 0
    record_fault(
        "disk too small for the backup",
        f"a 2 MiB file system mounted on {BACKUPS}; backup.yml, then a deploy changing TZ; "
        "space freed, the same deploy again",
        said,
        "no dump, containers not replaced (same ids and start times); the retried deploy "
        "dumps before replacing them; posts intact",
    )
    posts_intact()


def test_too_little_room_for_docker_refuses_a_deploy_and_a_restore_before_any_change(host):
    # The deploy: the lab cannot fill the engine's disk (the host's), so the bound is set
    # above what is free there; the check reads the same number either way.
    before = state(host)
    deploy = run(
        APP,
        host,
        {"django_stack_time_zone": "Europe/Paris", "django_stack_docker_min_free_mb": 10**8},
    )
    said = failure_message(deploy.stdout)
    assert deploy.returncode != 0
    assert "Not enough free disk for Docker" in said and "MiB free in /var/lib/docker" in said, said
    assert "Nothing was changed" in said
    assert state(host) == before
    # The restore: a 1 MiB file system where the database's volume lives, as the host sees
    # it (the running database keeps its own mount of the volume).
    mountpoint = host.check_output("docker volume inspect --format '{{.Mountpoint}}' mysql-data")
    host.run_expect([0], f"mount -t tmpfs -o size=1m dockyard-small {mountpoint}")
    try:
        restore = run(RESTORE, host)
        said_restore = failure_message(restore.stdout)
        assert restore.returncode != 0
        assert "Not enough free disk to load" in said_restore, said_restore
        assert "the load needs about" in said_restore and "Nothing was changed" in said_restore
    finally:
        host.run(f"umount {mountpoint}")
    after = state(host)
    assert {k: after[k] for k in ("compose", "secrets", "containers")} == {
        k: before[k] for k in ("compose", "secrets", "containers")
    }
    assert set(before["dumps"]) <= set(after["dumps"]), "no dump removed"
    assert not host.file("/opt/blog/restore-unfinished.json").exists
    posts_intact()
    assert run(APP, host).returncode == 0
    record_fault(
        "engine's disk too small for a deploy",
        "a deploy changing TZ with django_stack_docker_min_free_mb above the MiB free on the "
        "engine's data root (the lab cannot fill the host's disk)",
        said,
        "compose file, secrets, containers and dumps unchanged; posts intact",
    )
    record_fault(
        "engine's disk too small for a restore",
        "a 1 MiB file system mounted where the database's volume lives (as the host sees it); "
        "restore.yml of the latest dump",
        said_restore,
        "nothing dropped (no restore record), the same containers running, no dump removed "
        "(the restore's own dump of the current database taken first); posts intact",
    )
    posts_intact()


def test_port_taken_is_refused_before_any_change(host):
    host.run("systemd-run --unit dockyard-squatter python3 -m http.server 8099")
    try:
        time.sleep(1)
        before = state(host)
        out = run(APP, host, {"django_stack_web_port": 8099})
        said = failure_message(out.stdout)
        assert out.returncode != 0
        assert "Port 8099 is already taken" in said and "python3 (pid" in said, said
        assert "Nothing was changed" in said
        assert state(host) == before
        # Who holds the port came from the one read of the host (/proc), not from ss.
        assert (
            task_result(
                out.stdout, f"dockyard_blog.hosts.django_stack_takeover : {HOST_READER}", name(host)
            )
            == "ok"
        )
    finally:
        host.run("systemctl stop dockyard-squatter")
    record_fault(
        "web port taken",
        "python3 -m http.server 8099 on the server, then a deploy with django_stack_web_port=8099",
        said,
        "compose file, secrets, containers and dumps unchanged",
    )
    posts_intact()


def test_a_site_that_fails_its_probe_names_what_runs_and_the_way_back(host):
    # A host name Django refuses (DisallowedHost: 400): the deploy replaces the web container,
    # whose health check passes (/healthz answers whatever the host), then the probe fails.
    out = run(APP, host, {"django_stack_allowed_hosts": ["*.invalid"]})
    said = failure_message(out.stdout)
    assert out.returncode != 0
    assert "did not answer 200" in said and "with Host *.invalid" in said, said
    assert "Running now: blog-web-1 (" in said, said
    assert f"A dump from before this deploy is in {BACKUPS}/blog-" in said, said
    assert "To roll back to the release that ran before: playbooks/rollback.yml" in said, said
    dump = said.split("A dump from before this deploy is in ", 1)[1].split(". ", 1)[0]
    assert host.file(dump).exists, dump
    fixed = run(APP, host)
    assert fixed.returncode == 0, fixed.stdout[-3000:]
    record_fault(
        "site does not answer after the web container was replaced",
        "a deploy with django_stack_allowed_hosts=['*.invalid'] (every probe answered 400)",
        said,
        "the next deploy with the right hosts serves again; the dump named in the message exists",
    )
    posts_intact()


def test_another_database_password_on_existing_data_is_explained(host):
    before = state(host)
    out = run(APP, host, {"django_stack_db_password": "An0ther-Strong-Passw0rd-4-blog"})
    said = failure_message(out.stdout)
    assert out.returncode != 0
    assert "refuses the configured password of blog" in said, said
    assert "ignores them once the volume holds data" in said
    assert "An0ther-Strong-Passw0rd-4-blog" not in out.stdout
    assert state(host) == before
    assert host.run("docker volume inspect mysql-data").rc == 0
    record_fault(
        "database password changed on existing data",
        "a deploy with a different django_stack_db_password than the volume was created with",
        said,
        "secret files, compose file, containers unchanged; volume kept; the password not printed",
    )
    posts_intact()


def piped(text):
    """Shell words that write `text` to a pipe, whatever it holds."""
    return f"echo {base64.b64encode(text.encode()).decode()} | base64 -d"


def db_sql(host, statement):
    """Run SQL as the database's root, the password read inside the container."""
    return host.check_output(
        f"{piped(statement)} | docker compose {PROJECT} exec -T db sh -c "
        "'MYSQL_PWD=$(cat /run/secrets/db_root_password) exec mysql --user=root --batch'"
    )


def test_slow_database_fails_within_the_bound_with_its_log(host):
    # A database that cannot answer for 40 s, however fast the machine: the lab's image
    # behind an entrypoint that sleeps first (as a server still replaying its redo log).
    db = next(i for i, (service, _) in containers(host).items() if service == "db")
    image = host.check_output(f"docker inspect --format '{{{{.Config.Image}}}}' {db}")
    dockerfile = "\n".join(
        [
            f"FROM {image}",
            'ENTRYPOINT ["sh", "-c", "sleep 40; exec docker-entrypoint.sh \\"$@\\"", "--"]',
            'CMD ["mysqld"]',
        ]
    )
    host.run_expect([0], f"{piped(dockerfile)} | docker build --quiet --tag {SLOW_DB} -")
    web = {i: v for i, v in containers(host).items() if v[0] == "web"}
    out = run(APP, host, {"django_stack_health_timeout": 5, "django_stack_db_image": SLOW_DB})
    said = failure_message(out.stdout)
    assert out.returncode != 0
    assert "did not become healthy within django_stack_health_timeout (5 s)" in said, said
    assert "health starting" in said and "last log lines" in said, said
    assert {i: v for i, v in containers(host).items() if v[0] == "web"} == web
    # The next deploy waits for the slow database to answer, then puts the image back.
    assert run(APP, host).returncode == 0
    record_fault(
        "database slow to become healthy",
        "a database image that answers nothing for 40 s, deployed with "
        "django_stack_health_timeout=5",
        said,
        "the web container untouched; the next deploy waits for it and converges; posts intact",
    )
    posts_intact()


OTHER_DB = "dockyard-test/other-db:1"


def db_container(host):
    return next(i for i, (service, _) in containers(host).items() if service == "db")


def image_id(host, ref):
    return host.check_output(f"docker image inspect --format '{{{{.Id}}}}' {ref}")


def test_a_database_image_changed_under_its_tag_is_dumped_before_it_runs(host):
    # Another image under the very tag the inventory names, as a mirror serving another
    # build of mysql:9.7 would leave it: the compose file and the record of the last deploy
    # are unchanged, only the image id behind the tag differs.
    ref = host.check_output(f"docker inspect --format '{{{{.Config.Image}}}}' {db_container(host)}")
    original = image_id(host, ref)
    dockerfile = f"FROM {ref}\nLABEL dockyard.test=another-build-of-the-same-tag\n"
    host.run_expect([0], f"{piped(dockerfile)} | docker build --quiet --tag {OTHER_DB} -")
    other = image_id(host, OTHER_DB)
    try:
        host.run_expect([0], f"docker tag {OTHER_DB} {ref}")
        before = ours(host)
        deploy = run(APP, host)
        assert deploy.returncode == 0, failure_message(deploy.stdout) or deploy.stdout[-3000:]
        new_dumps = sorted(ours(host) - before)
        assert len(new_dumps) == 1, "the deploy dumped before the database changed image"
        db = db_container(host)
        assert host.check_output(f"docker inspect --format '{{{{.Image}}}}' {db}") == other
        dumped = float(host.check_output(f"stat --format %Y {BACKUPS}/{new_dumps[0]}"))
        started = host.check_output(f"date --date {containers(host)[db][1]} +%s")
        assert dumped <= float(started), "the dump was taken before the new database started"
        posts_intact()
    finally:
        host.run(f"docker tag {original} {ref}")
    back = run(APP, host)
    assert back.returncode == 0, failure_message(back.stdout)
    assert host.check_output(f"docker inspect --format '{{{{.Image}}}}' {db_container(host)}") == (
        original
    )
    host.run(f"docker rmi {OTHER_DB}")
    record_fault(
        "database image changed under its tag",
        "another image tagged as the inventory's django_stack_db_image (compose file and last "
        "deploy's record unchanged), then a deploy; the original image tagged back, a deploy",
        "(a dump first, then the database on the image the tag names: nothing to say)",
        "a dump taken before the database container was replaced; it runs the new image id; "
        "posts intact; the tag put back, the next deploy returns to the original image",
    )
    posts_intact()


KEPT_DB_TAG = "dockyard-test/db-kept:1"


def test_a_registry_that_does_not_answer_or_lacks_the_digest_stops_before_any_change(host):
    ref = host.check_output(f"docker inspect --format '{{{{.Config.Image}}}}' {db_container(host)}")
    registry = ref.split("/")[0]
    original = image_id(host, ref)
    # The tag is no longer on the server (the image stays, under another tag): the deploy
    # must pull it. The registry's name then points where nothing listens.
    host.run_expect([0], f"docker tag {ref} {KEPT_DB_TAG} && docker rmi {ref}")
    host.run_expect([0], "cp /etc/hosts /root/hosts.saved")
    try:
        host.run_expect([0], f"echo '127.0.0.1 {registry.split(':')[0]}' >> /etc/hosts")
        before = state(host)
        down = run(APP, host)
        said = failure_message(down.stdout)
        assert down.returncode != 0
        assert f"Could not pull the database image {ref} from {registry}" in said, said
        assert "connection refused" in said.lower() and "Nothing was changed" in said, said
        assert state(host) == before
    finally:
        host.run_expect([0], "cat /root/hosts.saved > /etc/hosts")
    # The registry back, the same image pinned by a digest it does not hold: what a mirror
    # serving other content under the tag looks like to a digest-pinned deploy.
    pinned = f"{ref}@sha256:{'0' * 64}"
    before = state(host)
    other = run(APP, host, {"django_stack_db_image": pinned})
    said_digest = failure_message(other.stdout)
    assert other.returncode != 0
    assert f"Could not pull the database image {pinned} from {registry}" in said_digest
    assert "this digest" in said_digest and "Nothing was changed" in said_digest
    assert state(host) == before
    # The tag pulled again is the same image: no dump, no container replaced.
    back = run(APP, host)
    assert back.returncode == 0, failure_message(back.stdout) or back.stdout[-3000:]
    assert image_id(host, ref) == original
    assert state(host) == before
    host.run(f"docker rmi {KEPT_DB_TAG}")
    posts_intact()
    record_fault(
        "registry down during a pull",
        "the database image's tag removed from the server (a new tag to pull) and the "
        "registry's name pointed where nothing listens; a deploy",
        said,
        "compose file, secrets, containers (ids, start times) and dumps unchanged; the "
        "registry back, the deploy pulls the same image and replaces nothing",
    )
    record_fault(
        "a mirror serving another digest for the tag",
        "django_stack_db_image pinned as tag@sha256:<a digest the registry does not hold> "
        "(a tag's digest the mirror no longer serves); a deploy",
        said_digest,
        "compose file, secrets, containers and dumps unchanged; without a digest, another "
        "image under the tag is dumped before it runs (row 'database image changed under "
        "its tag')",
    )


def test_database_that_refuses_the_blogs_login_gets_no_migration(host):
    # Healthy to its healthcheck (root's ping answers), but the blog's own login is refused.
    user = host.check_output(f"docker compose {PROJECT} exec -T db printenv MYSQL_USER")
    db_sql(host, f"ALTER USER `{user}`@'%' ACCOUNT LOCK")
    host.run_expect([0], f"docker compose {PROJECT} stop db")
    web = {i: v for i, v in containers(host).items() if v[0] == "web"}
    try:
        out = run(APP, host, {"django_stack_health_timeout": 5})
        health = host.check_output(f"docker compose {PROJECT} ps --format '{{{{.Health}}}}' db")
    finally:
        db_sql(host, f"ALTER USER `{user}`@'%' ACCOUNT UNLOCK")
    said = failure_message(out.stdout)
    assert out.returncode != 0
    assert health == "healthy"
    assert f"did not accept the login of {user}" in said and "no migration ran" in said, said
    assert "locked" in said, said
    assert {i: v for i, v in containers(host).items() if v[0] == "web"} == web
    assert run(APP, host).returncode == 0
    record_fault(
        "database healthy but refusing the blog's login",
        "the blog's database account locked, the database stopped, then a deploy",
        said,
        "no migration ran; the web container untouched; the next deploy converges; posts intact",
    )
    posts_intact()


SLOW_MIGRATION_SECONDS = 60


def source_with_migration(operations, migration="0099_extra"):
    """A copy of app/ with a migration (0099 by default) of the given operations (Python
    source)."""
    source = Path(tempfile.mkdtemp()) / "app"
    shutil.copytree(ROOT / "app", source, ignore=shutil.ignore_patterns("__pycache__"))
    (source / "posts" / "migrations" / f"{migration}.py").write_text(
        "import time\n\n"
        "from django.db import migrations, models\n\n\n"
        "def fail(apps, schema_editor):\n"
        "    raise RuntimeError('this migration is broken on purpose')\n\n\n"
        "def slow(apps, schema_editor):\n"
        f"    time.sleep({SLOW_MIGRATION_SECONDS})\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies = [('posts', '0001_initial')]\n"
        f"    operations = [{operations}]\n"
    )
    return source


def deploy_source(host, source, extra_vars=None):
    try:
        return run(APP, host, {"django_stack_build_context": str(source), **(extra_vars or {})})
    finally:
        shutil.rmtree(source.parent)


CREATE_EXTRA = (
    "migrations.CreateModel(name='Extra', fields=[('id', models.BigAutoField(primary_key=True))])"
)


def test_failed_migration_keeps_the_previous_web_serving_and_restore_undoes_it(host):
    # MySQL cannot roll DDL back: the migration's table stays when the migration then fails.
    # With django_stack_backup_keep=1, a failed deploy and its retry must still keep the
    # dump taken before the first try (the retry's dump holds the half-migrated database).
    keep_one = {"django_stack_backup_keep": 1}
    broken = f"{CREATE_EXTRA}, migrations.RunPython(fail)"
    web = {i for i, (service, _) in containers(host).items() if service == "web"}
    before = ours(host)
    out = deploy_source(host, source_with_migration(broken), keep_one)
    said = failure_message(out.stdout)
    assert out.returncode != 0
    assert "The migrations failed" in said and "previous version keeps serving" in said, said
    dump = said.split("before this deploy is in ")[1].split(";")[0]
    assert host.file(dump).exists
    assert before <= ours(host), "a failed deploy removed no dump"
    retry = deploy_source(host, source_with_migration(broken), keep_one)
    assert retry.returncode != 0
    assert host.file(dump).exists, "the retry kept the dump from before the first try"
    assert before <= ours(host)
    assert {i for i, (s, _) in containers(host).items() if s == "web"} == web
    posts_intact()
    # The recovery the message names: restore that dump, then deploy the fixed migration.
    restored = run(RESTORE, host, {"django_stack_restore_file": dump})
    assert restored.returncode == 0, restored.stdout
    fixed = deploy_source(host, source_with_migration(CREATE_EXTRA), keep_one)
    assert fixed.returncode == 0, failure_message(fixed.stdout) or fixed.stdout[-2000:]
    assert len(ours(host)) == 1, "the deploy that succeeded applied the retention"
    assert run(APP, host).returncode == 0
    record_fault(
        "migration fails",
        "a deploy of a source whose new migration creates a table, then raises, with "
        "django_stack_backup_keep=1, and its retry; the dump it names restored; then the "
        "fixed migration deployed",
        said,
        "the same web container serves 200; no dump removed by the failed deploys, the one "
        "from before the first try kept; after the restore the fixed migration applies "
        "cleanly (its table did not survive) and retention keeps one dump; posts intact",
    )
    posts_intact()


def test_a_restore_that_fails_midway_puts_the_database_back(host):
    newest = f"{BACKUPS}/{dumps(host)[-1]}"
    broken = f"{BACKUPS}/broken.sql.gz"
    # Whole as a gzip file and ending as a dump ends, but its SQL stops with an error after
    # the database was dropped (a dump cut short is refused before: the test above).
    host.run_expect([0], f"zcat {newest} | head -n 40 > /tmp/broken.sql && "
                         f"echo 'THIS IS NOT SQL;' >> /tmp/broken.sql && "
                         f"echo '-- Dump completed on 2026-12-03 12:00:00' >> /tmp/broken.sql && "
                         f"gzip --stdout /tmp/broken.sql > {broken}")  # fmt: skip
    try:
        out = run(RESTORE, host, {"django_stack_restore_file": broken})
    finally:
        host.run(f"rm -f {broken} /tmp/broken.sql")
    said = failure_message(out.stdout)
    assert out.returncode != 0
    assert f"Loading {broken} failed" in said and "ERROR 1064" in said, said
    assert "The database was put back from" in said and "runs again" in said, said
    posts_intact()
    record_fault(
        "restore fails midway",
        "playbooks/restore.yml of a gzip-whole dump whose SQL breaks off with an error",
        said,
        "the database put back from the dump taken just before; the web container runs; "
        "posts intact",
    )


RECORD = "/opt/blog/restore-unfinished.json"
# The load of load-dump.yml as the server's process list shows it (nested containers' too).
LOAD = "mysql --user=root$"


@pytest.mark.parametrize("how", ["ctrl-c", "killed"])
def test_a_restore_cut_off_mid_load_holds_deploys_until_a_restore_finishes(host, how):
    # A whole dump that pauses just after it created the database anew, before any table:
    # cut off there, the database is empty, as a load cut off anywhere leaves it half-done.
    slow = f"{BACKUPS}/slow.sql.gz"
    host.run_expect([0], f"zcat {newest_dump(host)} | sed '/^USE /a SELECT SLEEP(600);' "
                         f"| gzip > {slow}")  # fmt: skip
    web = next(i for i, (service, _) in containers(host).items() if service == "web")
    try:
        status, transcript = interrupt(
            host,
            RESTORE,
            {"django_stack_restore_file": slow},
            "Load a dump into the database made anew, slow.sql.gz",
            how,
            delay=5,
        )
        assert status == (99 if how == "ctrl-c" else -signal.SIGKILL), transcript
        assert "PLAY RECAP" not in transcript
        record = json.loads(host.check_output(f"cat {RECORD}"))
        assert record["dump"] == slow and host.file(record["before"]).exists, record
        assert host.file(RECORD).mode == 0o600
        assert not host.docker(web).is_running, "the web container stays stopped"

        # The load the cut-off run started still runs on the server: no second one beside it.
        assert host.run(f"pgrep -f '{LOAD}'").rc == 0, "the interrupted load still runs"
        again = run(RESTORE, host, {"django_stack_restore_file": record["before"]})
        assert again.returncode != 0
        assert "still runs in the database container" in failure_message(again.stdout)
        host.run_expect([0], f"pkill -f '{LOAD}'")  # it ends, the database left half-loaded
        tables = db_sql(host, "SELECT COUNT(*) FROM information_schema.tables "
                              "WHERE table_schema = 'blog'")  # fmt: skip
        assert tables.split()[-1] == "0", tables

        before = state(host)
        deploy = run(APP, host)
        said = failure_message(deploy.stdout)
        assert deploy.returncode != 0
        assert "did not finish" in said and slow in said and record["before"] in said, said
        assert "Nothing was changed" in said
        backup = run(BACKUP, host)
        assert backup.returncode != 0 and "did not finish" in failure_message(backup.stdout)
        assert state(host) == before

        # The way out the message names: the database as it was before the restore.
        restored = run(RESTORE, host, {"django_stack_restore_file": record["before"]})
        assert restored.returncode == 0, failure_message(restored.stdout) or restored.stdout
        assert not host.file(RECORD).exists
        assert host.docker(web).is_running, "the restore started the web container again"
        posts_intact()
        assert run(APP, host).returncode == 0
    finally:
        host.run(f"pkill -f '{LOAD}'; rm -f {slow}")
    cut = {
        "ctrl-c": ("Ctrl+C", "interrupted with SIGINT"),
        "killed": ("controller killed", "killed with its connections (SIGKILL to its group)"),
    }[how]
    record_fault(
        f"restore cut off mid-load ({cut[0]})",
        f"playbooks/restore.yml {cut[1]} while the dump loads; restore again at once; the "
        "load ended; a deploy, a backup; then the restore the message names",
        said,
        "the web container stays stopped on the half-loaded database; a second load is refused "
        "while the first runs; deploy and backup refused, nothing changed; the restore of the "
        "dump taken before brings the web container and every post back",
    )
    posts_intact()


def db_log(host):
    db = host.check_output(f"docker compose {PROJECT} ps --all --quiet db")
    return host.check_output(f"docker logs {db} 2>&1")


def recoveries(host):
    """How often the database's log says InnoDB recovered from an unclean stop."""
    log = db_log(host).lower()
    return log.count("crash recovery") + log.count("not shutdown normally")


def wait_until_booted(host):
    deadline = time.monotonic() + 300  # generous: lanes beside it load the machine
    while host.run("systemctl is-system-running --wait").stdout.strip() not in {
        "running",
        "degraded",
    }:
        assert time.monotonic() < deadline, "the server did not finish booting"
        time.sleep(2)


def test_live_restore_keeps_the_containers_through_a_daemon_restart(host):
    before = containers(host)
    host.run_expect([0], "systemctl restart docker")
    # The same containers, started when they were: dockerd restarted, they never stopped.
    assert containers(host) == before
    posts_intact()
    record_fault(
        "daemon restart",
        "systemctl restart docker",
        "(nothing to say: live-restore)",
        "the same containers with the same start times (never stopped), posts intact",
    )


def test_a_power_cut_brings_back_every_committed_post(host):
    title = "Committed just before the power cut"
    manage(host, f"create_post --title '{title}' --body committed")
    before, recovered = containers(host), recoveries(host)
    # SIGKILL to the server's init: every process dies at once, nothing is shut down.
    subprocess.run(["docker", "kill", name(host)], check=True, capture_output=True)
    subprocess.run(["docker", "start", name(host)], check=True, capture_output=True)
    wait_until_booted(host)
    posts_intact()
    assert title in fetch()[1]
    after = containers(host)
    assert set(after) == set(before)  # the same containers, by their restart policy
    assert all(after[i][1] != before[i][1] for i in before)  # started again
    assert recoveries(host) > recovered, db_log(host)[-2000:]
    record_fault(
        "power cut",
        "a post written, then the server killed (SIGKILL to its init) and started again",
        "(nothing to say: restart policy, InnoDB crash recovery)",
        "both containers started again by their restart policy, InnoDB's crash recovery in "
        "the database's log, the post written just before and every other post intact",
    )


def test_mysqld_killed_recovers_every_committed_post(host):
    title = "Committed just before mysqld was killed"
    manage(host, f"create_post --title '{title}' --body committed")
    recovered = recoveries(host)
    db = host.check_output(f"docker compose {PROJECT} ps --quiet db")
    fmt = "'{{.RestartCount}} {{.State.Health.Status}}'"
    restarts = host.check_output(f"docker inspect --format {fmt} {db}").split()[0]
    host.run_expect([0], "pkill --signal KILL --exact mysqld")
    deadline = time.monotonic() + 180
    while host.check_output(f"docker inspect --format {fmt} {db}").split() != [
        str(int(restarts) + 1),
        "healthy",
    ]:
        assert time.monotonic() < deadline, "the database did not come back healthy"
        time.sleep(2)
    posts_intact()
    assert title in fetch()[1]
    assert recoveries(host) > recovered, db_log(host)[-2000:]
    record_fault(
        "mysqld killed -9",
        "a post written, then kill -9 of mysqld on the server",
        "(nothing to say: the restart policy restarts it, InnoDB recovers)",
        "the same container restarted (restart count + 1), InnoDB's crash recovery in its log, "
        "the post written just before and every other post intact",
    )


def interrupt(host, playbook, extra_vars, marker, how, delay=0.5):
    """Run a playbook and, `delay` seconds after `marker` is printed, cut it off.

    how is "ctrl-c" (SIGINT to ansible-playbook, as a terminal sends it) or "killed"
    (SIGKILL to its whole process group: the controller gone, its connections cut, nothing
    of the play's rescue or always sections run). Returns the exit status and the output.
    """
    argv = [
        "ansible-playbook",
        "--inventory",
        str(Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent),
        "--limit",
        name(host),
        str(Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"]) / playbook),
        "--extra-vars",
        json.dumps(extra_vars),
    ]
    lines: list[str] = []
    pressed = False
    with subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},  # each line as it is written
        start_new_session=True,
    ) as run_:
        assert run_.stdout is not None
        # A run that hangs fails here, not the CI: its whole process group is killed.
        watchdog = threading.Timer(600, os.killpg, (run_.pid, signal.SIGKILL))
        watchdog.start()
        try:
            for line in run_.stdout:
                lines.append(line)
                if marker in line and not pressed:
                    time.sleep(delay)
                    if how == "ctrl-c":
                        run_.send_signal(signal.SIGINT)
                    else:
                        os.killpg(run_.pid, signal.SIGKILL)
                    pressed = True
        finally:
            watchdog.cancel()
        run_.wait(timeout=60)
    transcript = "".join(lines)
    assert pressed, f"the run never printed {marker!r}:\n{transcript}"
    return run_.returncode, transcript


def test_an_interrupted_run_converges_when_run_again(host):
    """Ctrl+C while the database starts, then the same deploy again.

    SIGINT goes half a second after the task's banner, while ansible-playbook waits on its
    worker: one that lands as ansible-playbook forks a worker is lost (CPython runs the
    handler in logging's at-fork hook and ignores its KeyboardInterrupt), and the run goes
    on to its recap.
    """
    marker = "Bring up with Compose v2 and wait for health, db"
    status, transcript = interrupt(
        host, APP, {"django_stack_time_zone": "Europe/Paris"}, marker, "ctrl-c"
    )
    assert status == 99, transcript  # ansible-playbook's exit code for an interrupt
    assert "User interrupted execution" in transcript
    assert "PLAY RECAP" not in transcript

    again = run(APP, host, {"django_stack_time_zone": "Europe/Paris"})
    assert again.returncode == 0, again.stdout
    services = sorted(s for s, _ in containers(host).values())
    assert services == ["db", "web"]
    env = host.check_output(f"docker compose {PROJECT} exec -T web printenv TZ")
    assert env == "Europe/Paris"
    posts_intact()
    assert run(APP, host).returncode == 0
    record_fault(
        "interrupted run",
        "a deploy changing TZ interrupted (SIGINT) when the database starts, then run again",
        "(the second run finished without a message)",
        "one db and one web container, TZ applied, posts intact",
    )
    posts_intact()


ONEOFF = (
    "--filter label=com.docker.compose.project=blog --filter label=com.docker.compose.oneoff=True"
)


def test_a_run_cut_off_mid_migration_leaves_it_to_finish_and_the_next_waits(host):
    # A migration that creates a table and then works for a minute: the run is killed (its
    # controller and connections gone) while it works. A second migration started beside it
    # would find 0099 unrecorded and create the table again ("already exists").
    slow = CREATE_EXTRA.replace("'Extra'", "'Slow'") + ", migrations.RunPython(slow)"
    marker = "Wait for the database to accept the blog's login, then apply the migrations"
    source = source_with_migration(slow, "0098_slow")
    try:
        extra = {"django_stack_build_context": str(source)}
        status, transcript = interrupt(host, APP, extra, marker, "killed", delay=10)
        assert status == -signal.SIGKILL, transcript
        leftover = host.check_output(f"docker ps --quiet {ONEOFF}").split()
        assert len(leftover) == 1, "the cut-off run's migration still runs"
        again = run(APP, host, extra)
    finally:
        shutil.rmtree(source.parent)
    assert again.returncode == 0, failure_message(again.stdout) or again.stdout[-3000:]
    waited = (
        "dockyard_blog.hosts.django_stack_compose : "
        "Wait for a migration an earlier run left running to end"
    )
    assert task_result(again.stdout, waited, name(host)) == "ok", again.stdout[-3000:]
    assert host.check_output(f"docker ps --all --quiet {ONEOFF}") == "", "its container removed"
    applied = manage(host, "showmigrations posts")
    assert "[X] 0098_slow" in applied, applied
    posts_intact()
    assert run(APP, host).returncode == 0  # back to the project's own source
    posts_intact()
    record_fault(
        "interrupted during a migration",
        f"a deploy whose new migration creates a table and then works {SLOW_MIGRATION_SECONDS} s, "
        "killed (SIGKILL to ansible-playbook's process group) while it migrates; the same "
        "deploy again at once",
        "(the second run waited for the first run's migration, then found nothing to apply)",
        "the cut-off migration ran to its end (applied once, no 'table already exists'); "
        "its container removed; the new web container serves; posts intact",
    )


def whole(host, dump):
    """The dump is a whole gzip file whose last line is mysqldump's closing one."""
    last = host.run(f"gzip --test {dump} && zcat {dump} | tail -n 1")
    return last.rc == 0 and last.stdout.startswith("-- Dump completed")


def test_a_backup_cut_off_mid_dump_leaves_no_dump_that_is_not_whole(host):
    """The controller killed while mysqldump reads (held up by another session's lock on
    the posts table, as a big table would): nothing is named a dump until it is whole."""
    before = ours(host)
    lock = "LOCK TABLES posts_post WRITE; SELECT SLEEP(600)"
    host.run_expect(
        [0],
        f"docker compose {PROJECT} exec --detach -T db sh -c "
        f"'MYSQL_PWD=$(cat /run/secrets/db_root_password) exec mysql --user=root blog"
        f' --execute="{lock}"\'',
    )
    try:
        status, transcript = interrupt(
            host, BACKUP, {}, "Dump the database (mysqldump", "killed", delay=3
        )
        assert status == -signal.SIGKILL, transcript
        time.sleep(2)
        listed = dumps(host)
        assert ours(host) == before, listed  # no new dump while it is being written
        assert any(f.endswith(".partial") for f in listed), listed  # its partial file
    finally:
        host.run("pkill --full 'SLEEP.600.'")  # the lock's session ends
    # What the cut-off run left goes on without it (its dump then completes and is named)
    # or ends with its connection; either way, whatever is named a dump is whole.
    deadline = time.monotonic() + 60
    while any(f.endswith(".partial") for f in dumps(host)):
        assert time.monotonic() < deadline, dumps(host)
        time.sleep(1)
    assert all(whole(host, f"{BACKUPS}/{f}") for f in ours(host)), ours(host)
    again = run(BACKUP, host)
    assert again.returncode == 0, failure_message(again.stdout)
    assert whole(host, newest_dump(host))
    record_fault(
        "backup cut off mid-dump",
        "playbooks/backup.yml's controller killed (SIGKILL to its process group) while "
        "mysqldump waited on a table another session locked",
        "(the run was killed)",
        "no file named as a dump while it was written (only its .partial), every dump whole "
        "(gzip test, mysqldump's closing line) after, the next backup taken",
    )
    posts_intact()


def test_no_secret_appears_in_the_output_of_the_site_at_vv(host):
    state_dir = ROOT / ".lab"
    secrets = [
        (state_dir / "secrets" / f).read_text().strip()
        for f in ("db-password", "db-root-password", "django-secret-key")
    ]
    new_key = "a-new-django-secret-key-for-the-vv-test-0123456789"
    web_before = {i: v for i, v in containers(host).items() if v[0] == "web"}
    out = run(SITE, host, {"vault_django_stack_secret_key": new_key}, args=("-vvv", "--diff"))
    assert out.returncode == 0, failure_message(out.stdout)
    leaked = [i for i, s in enumerate([*secrets, new_key]) if s and s in out.stdout]
    assert leaked == []
    # The new key reached the app: a new secrets revision made Compose recreate the web
    # container, which reads the new file.
    assert {i: v for i, v in containers(host).items() if v[0] == "web"} != web_before
    shell = manage(host, 'shell -c "from django.conf import settings; print(settings.SECRET_KEY)"')
    assert shell.splitlines()[-1] == new_key  # after the shell's own "objects imported" line
    assert run(SITE, host).returncode == 0
    # A run that fails on a secret: a database password the data was not created with.
    wrong = "An0ther-Wrong-Passw0rd-for-the-vvv-test"
    failed = run(APP, host, {"vault_django_stack_db_password": wrong}, args=("-vvv", "--diff"))
    assert failed.returncode != 0
    assert "refuses the configured password" in failure_message(failed.stdout)
    leaked = [i for i, s in enumerate([*secrets, wrong]) if s and s in failed.stdout]
    assert leaked == []
    record_fault(
        "secrets in output",
        "site.yml at -vvv with --diff, rotating the Django secret key; a deploy at -vvv with "
        "--diff that fails on a wrong database password",
        "(censored items only)",
        "none of the three secrets, the new key nor the wrong password appears in either output",
    )


def test_cis_subset_is_applied(host):
    daemon = host.file("/etc/docker/daemon.json")
    assert (daemon.user, daemon.group, daemon.mode) == ("root", "root", 0o644)
    config = json.loads(daemon.content_string)
    assert config["live-restore"] is True
    assert config["log-opts"] == {"max-size": "10m", "max-file": "3"}
    # Only the users the inventory lists (none in the lab) may drive the engine.
    assert host.check_output("getent group docker").split(":")[3] == ""
    for cid, (service, _) in containers(host).items():
        info = json.loads(host.check_output(f"docker inspect {cid}"))[0]["HostConfig"]
        assert "no-new-privileges:true" in info["SecurityOpt"], service
        assert info["Memory"] > 0 and info["PidsLimit"] > 0, service
        bindings = [b for ports in (info["PortBindings"] or {}).values() for b in ports]
        wanted = ["0.0.0.0"] if service == "web" else []  # noqa: S104 - django_stack_web_bind_address
        assert [b["HostIp"] for b in bindings] == wanted
    for secret in SECRETS:
        assert host.file(f"/opt/blog/secrets/{secret}").mode == 0o600
    record_fault(
        "CIS Docker Benchmark subset",
        "inspection of the converged server",
        "(applied by default)",
        "daemon.json root:root 0644, live-restore, log rotation, no-new-privileges, memory and "
        "pids limits, web bound to the chosen address, database unpublished, secrets 0600",
    )
