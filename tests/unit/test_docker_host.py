"""docker_host: what runs on a host, sorted into ours, to retire and in the way."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import docker_host
import pytest
from docker_host import classify, summary


def inspected(
    name: str,
    *,
    running: bool = True,
    health: str | None = None,
    labels: dict[str, str] | None = None,
    ports: dict[str, Any] | None = None,
    volumes: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A `docker inspect` result with the fields docker_host reads (as Engine 20-27 write them)."""
    return {
        "Id": hashlib.sha256(name.encode()).hexdigest(),
        "Name": "/" + name,
        "State": {"Running": running, **({"Health": {"Status": health}} if health else {})},
        "Image": "sha256:" + hashlib.sha256(b"some/image:1").hexdigest(),
        "Config": {"Image": "some/image:1", "Labels": labels},
        "HostConfig": {"PortBindings": ports},
        "Mounts": [{"Type": "volume", "Name": v, "Destination": "/var/lib/mysql"} for v in volumes]
        + [{"Type": "bind", "Source": "/srv", "Destination": "/srv"}],
    }


def sort(*containers: dict[str, Any], **options: object) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "project": "blog",
        "volume": "mysql-data",
        "ports": [8000],
        "retire_containers": [],
        "retire_project": "",
    }
    settings.update(options)
    return classify([summary(c) for c in containers], **settings)


TUTORIAL = (
    inspected("mysql", volumes=("mysql-data",)),
    inspected("django", ports={"8000/tcp": [{"HostIp": "", "HostPort": "8000"}]}),
)


def test_summary_reads_name_ports_volumes_and_compose_labels() -> None:
    facts = summary(
        inspected(
            "tutorial_django_1",
            running=False,
            labels={
                "com.docker.compose.project": "tutorial",
                "com.docker.compose.service": "django",
            },
            ports={"8000/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8000"}], "9000/tcp": None},
            volumes=("tutorial_mysql-data",),
        )
    )
    assert facts == {
        "id": facts["id"],
        "name": "tutorial_django_1",
        "running": False,
        "health": "",
        "image": "some/image:1",
        "image_id": "sha256:" + hashlib.sha256(b"some/image:1").hexdigest(),
        "started": "",
        "project": "tutorial",
        "service": "django",
        "oneoff": False,
        "config_hash": "",
        "ports": [8000],
        "volumes": ["tutorial_mysql-data"],
    }


def test_a_migrations_one_off_container_is_reported_apart_from_its_service() -> None:
    # `compose run web ...` (the migrations) labels its container with the web service and
    # oneoff=True: left running by a cut-off run, it is neither the web service's container
    # nor a reason to call web running or ready.
    labels = {"com.docker.compose.project": "blog", "com.docker.compose.service": "web"}
    run = inspected("blog-web-run-0a1b2c", labels={**labels, "com.docker.compose.oneoff": "True"})
    run["State"]["StartedAt"] = "2026-12-04T03:00:00.5Z"
    exited = inspected(
        "blog_web_run_1", running=False, labels={**labels, "com.docker.compose.oneoff": "True"}
    )
    db = inspected(
        "blog-db-1", health="healthy", labels={**labels, "com.docker.compose.service": "db"}
    )
    state = sort(run, exited, db)
    assert state["oneoff"] == [
        {"name": "blog-web-run-0a1b2c", "running": True, "started": "2026-12-04T03:00:00.5Z"},
        {"name": "blog_web_run_1", "running": False, "started": ""},
    ]
    assert state["running"] == ["db"] and state["ready"] == ["db"]
    assert "blog-web-run-0a1b2c" in state["ours"], "still the project's: never in the way"
    assert sort(db)["oneoff"] == []


def test_summary_of_a_container_without_labels_ports_or_mounts() -> None:
    bare = {"Name": "/x", "State": {}, "Config": {"Labels": None}, "HostConfig": {}, "Mounts": None}
    assert summary(bare)["ports"] == [] and summary(bare)["volumes"] == []


def test_the_tutorials_containers_block_the_deploy_naming_what_they_hold() -> None:
    state = sort(*TUTORIAL)
    assert [(c["name"], c["holds"]) for c in state["blocking"]] == [
        ("mysql", ["volume mysql-data"]),
        ("django", ["port 8000"]),
    ]
    assert state["retire"] == [] and state["retire_db"] == ""


def test_named_containers_are_retired_and_the_database_among_them_found() -> None:
    state = sort(*TUTORIAL, retire_containers=["mysql", "django"])
    assert state["blocking"] == []
    assert [c["name"] for c in state["retire"]] == ["mysql", "django"]
    assert state["retire_db"] == "mysql"
    assert state["publishing"] == ["django"]


def test_a_compose_project_is_retired_by_its_label_not_by_a_name_prefix() -> None:
    project = {"com.docker.compose.project": "tutorial"}
    state = sort(
        inspected("tutorial_mysql_1", labels=project, volumes=("tutorial_mysql-data",)),
        inspected("tutorial_web_1", labels=project),
        inspected("tutorial-two_web_1", labels={"com.docker.compose.project": "tutorial-two"}),
        volume="tutorial_mysql-data",
        retire_project="tutorial",
    )
    assert [c["name"] for c in state["retire"]] == ["tutorial_mysql_1", "tutorial_web_1"]
    assert state["retire_db"] == "tutorial_mysql_1"
    assert state["blocking"] == []  # the other project holds neither the port nor the volume


def test_the_projects_own_containers_never_block_nor_retire() -> None:
    ours = {"com.docker.compose.project": "blog", "com.docker.compose.service": "web"}
    state = sort(
        inspected("blog-web-1", labels=ours, ports={"8000/tcp": [{"HostPort": "8000"}]}),
        retire_containers=["blog-web-1"],
    )
    assert state["ours"] == ["blog-web-1"]
    assert state["retire"] == [] and state["blocking"] == []


def test_a_stopped_container_still_blocks_but_does_not_publish() -> None:
    state = sort(inspected("old", running=False, ports={"8000/tcp": [{"HostPort": "8000"}]}))
    assert [c["name"] for c in state["blocking"]] == ["old"]
    assert state["publishing"] == []


def test_each_of_the_blogs_ports_is_checked() -> None:
    # With the HTTPS front, the front's ports are the blog's (the web container is unpublished).
    proxy = inspected("proxy", ports={"80/tcp": [{"HostPort": "80"}], "9/tcp": [{"HostPort": "9"}]})
    state = sort(proxy, ports=[443, 80])
    assert state["blocking"][0]["holds"] == ["port 80"]
    assert state["publishing"] == ["proxy"]
    assert sort(proxy, ports=[8000])["blocking"] == []


def test_unrelated_containers_are_left_out() -> None:
    state = sort(inspected("cache", ports={"6379/tcp": [{"HostPort": "6379"}]}, volumes=("redis",)))
    assert state == {
        "ours": [],
        "db": "",
        "db_image_id": "",
        "web": [],
        "front": [],
        "ready": [],
        "running": [],
        "oneoff": [],
        "publishing": [],
        "retire": [],
        "retire_db": "",
        "blocking": [],
    }


def test_the_running_database_container_is_named_by_its_short_id() -> None:
    """What `docker ps --quiet` with the project's and the db service's labels prints."""
    db = {"com.docker.compose.project": "blog", "com.docker.compose.service": "db"}
    web = {"com.docker.compose.project": "blog", "com.docker.compose.service": "web"}
    other_db = {"com.docker.compose.project": "shop", "com.docker.compose.service": "db"}
    running = inspected("blog-db-1", labels=db, volumes=("mysql-data",))
    others = (inspected("blog-web-1", labels=web), inspected("shop-db-1", labels=other_db))
    state = sort(*others, running)
    assert state["db"] == running["Id"][:12] and len(state["db"]) == 12
    assert sort(inspected("blog-db-1", running=False, labels=db))["db"] == "", "stopped: none"
    assert sort(inspected("blog-web-1", labels=web))["db"] == ""


FAKE_DOCKER = """#!/usr/bin/env python3
import json, sys
args = sys.argv[1:]
if args[:1] == ["ps"]:
    print("c1")
elif args[:1] == ["inspect"]:
    print(json.dumps([{"Name": "/blog-db-1", "State": {"Running": True},
                       "Config": {"Labels": {"com.docker.compose.project": "blog"}},
                       "Mounts": [{"Type": "volume", "Name": "mysql-data"}]}]))
elif args[:2] == ["volume", "inspect"]:
    print(json.dumps([{"Labels": None}]))
elif args[:1] == ["info"]:
    print(%(root)r)
elif args[:1] == ["version"]:
    if "API" not in " ".join(args):
        sys.exit(2)
    print(%(api)r)
    sys.exit(%(version_status)d)
"""


def fake_docker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, more: str = "") -> None:
    """FAKE_DOCKER (Engine API 1.45, no data root), with `more` branches, first on the PATH."""
    fake = tmp_path / "docker"
    fake.write_text(FAKE_DOCKER % {"api": "1.45", "version_status": 0, "root": ""} + more)
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")


def run_main(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    api: str,
    version_status: int = 0,
    root: str = "/nowhere/docker",
) -> dict[str, Any]:
    fake = tmp_path / "docker"
    fake.write_text(FAKE_DOCKER % {"api": api, "version_status": version_status, "root": root})
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    return docker_host.read_state(project="blog", volume="mysql-data", ports=[8000])


def test_main_reports_the_engine_api_version_beside_the_containers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = run_main(tmp_path, monkeypatch, "1.45")
    assert state["engine_api"] == "1.45"
    assert state["ours"] == ["blog-db-1"]
    assert state["volume"] == {"name": "mysql-data", "exists": True, "project": ""}


def test_main_reports_the_engines_data_root_and_the_space_left_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    stats = os.statvfs(tmp_path)
    state = run_main(tmp_path, monkeypatch, "1.45", root=str(tmp_path))
    assert state["docker_root"]["path"] == str(tmp_path)
    expected = stats.f_bavail * stats.f_frsize // (1024 * 1024)
    assert abs(state["docker_root"]["free_mb"] - expected) <= 64, "read from that file system"
    unreadable = run_main(tmp_path, monkeypatch, "1.45", root="/nowhere/docker")
    assert unreadable["docker_root"] == {"path": "/nowhere/docker", "free_mb": -1}


def test_main_reports_no_api_version_when_docker_version_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_main(tmp_path, monkeypatch, "", version_status=1)["engine_api"] == ""


def test_the_swarm_stacks_own_database_task_is_ours_not_in_the_way() -> None:
    """The swarm topology's db task (a stack's container, no Compose label) on its volume."""
    task = inspected(
        "blog_db.1.x7k2",
        labels={"com.docker.stack.namespace": "blog", "com.docker.swarm.service.name": "blog_db"},
        volumes=("mysql-data",),
    )
    state = sort(task)
    assert state["ours"] == ["blog_db.1.x7k2"] and state["blocking"] == []


def test_another_stacks_container_on_the_volume_is_in_the_way() -> None:
    other = inspected(
        "shop_db.1.a1", labels={"com.docker.stack.namespace": "shop"}, volumes=("mysql-data",)
    )
    assert [c["name"] for c in sort(other)["blocking"]] == ["shop_db.1.a1"]


def test_ready_services_run_healthy_or_have_no_health_check() -> None:
    def blog(
        service: str, name: str, *, running: bool = True, health: str | None = None
    ) -> dict[str, Any]:
        labels = {"com.docker.compose.project": "blog", "com.docker.compose.service": service}
        return inspected(name, running=running, health=health, labels=labels)

    state = sort(
        blog("db", "blog-db-1", health="healthy"),
        blog("web", "blog-web-1", health="starting"),
        blog("front", "blog-front-1"),  # no health check, running
        blog("worker", "blog-worker-1", health="healthy"),
        blog("worker", "blog-worker-2", running=False),  # one of the service's containers down
        inspected("shop-web-1", labels={"com.docker.compose.project": "shop"}, health="healthy"),
    )
    assert state["ready"] == ["db", "front"]
    assert state["running"] == ["db", "front", "web", "worker"], "running, healthy or not"
    assert sort(blog("web", "blog-web-1", health="unhealthy"))["ready"] == []


def test_the_web_containers_and_the_front_are_named_with_their_compose_config_hash() -> None:
    """What a deploy behind a front needs: one web container to start a second beside."""

    def blog(service: str, name: str, *, running: bool = True) -> dict[str, Any]:
        labels = {
            "com.docker.compose.project": "blog",
            "com.docker.compose.service": service,
            "com.docker.compose.config-hash": f"hash-of-{name}",
        }
        return inspected(name, labels=labels, running=running, health="healthy")

    shop = {"com.docker.compose.project": "shop", "com.docker.compose.service": "web"}
    state = sort(
        blog("web", "blog-web-1"),
        blog("front", "blog-front-1"),
        blog("front", "blog-front-2", running=False),
        inspected("shop-web-1", labels=shop),
    )
    assert [(web["name"], web["health"], web["config_hash"]) for web in state["web"]] == [
        ("blog-web-1", "healthy", "hash-of-blog-web-1")
    ]
    assert state["front"] == [{"name": "blog-front-1", "config_hash": "hash-of-blog-front-1"}], (
        "running fronts only"
    )


def test_no_restore_record_means_no_unfinished_restore(tmp_path: Path) -> None:
    from docker_host import restore_record

    assert restore_record("") == {}
    assert restore_record(str(tmp_path / "restore-unfinished.json")) == {}


def test_a_restore_record_is_read_as_written(tmp_path: Path) -> None:
    from docker_host import restore_record

    record = {"dump": "/var/backups/blog/a.sql.gz", "before": "/var/backups/blog/b.sql.gz"}
    path = tmp_path / "restore-unfinished.json"
    path.write_text(json.dumps(record))
    assert restore_record(str(path)) == record


@pytest.mark.parametrize("text", ["", "{}", "[1]", "not json {"])
def test_a_damaged_restore_record_still_stands(tmp_path: Path, text: str) -> None:
    from docker_host import restore_record

    path = tmp_path / "restore-unfinished.json"
    path.write_text(text)
    assert restore_record(str(path)) == {"unreadable": text.strip()}


def test_main_reports_the_unfinished_restore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_docker(tmp_path, monkeypatch)
    record = tmp_path / "restore-unfinished.json"
    record.write_text('{"dump": "d", "before": "b", "started": "t"}')
    state = docker_host.read_state(
        project="blog", volume="v", ports=[8000], restore_record_path=str(record)
    )
    assert state["restore_unfinished"] == {"dump": "d", "before": "b", "started": "t"}


def test_the_database_containers_image_is_named_by_id_running_or_not() -> None:
    labels = {"com.docker.compose.project": "blog", "com.docker.compose.service": "db"}
    db = inspected("blog-db-1", running=False, labels=labels)
    web = inspected("blog-web-1", labels={**labels, "com.docker.compose.service": "web"})
    web["Image"] = "sha256:" + "0" * 64
    state = sort(web, db)
    assert state["db"] == "" and state["db_image_id"] == db["Image"] != web["Image"]
    assert sort(web)["db_image_id"] == ""


def test_main_names_the_id_the_database_images_reference_has_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_docker(
        tmp_path,
        monkeypatch,
        'elif args[:2] == ["image", "inspect"] and args[-1] == "mysql:9.7":\n'
        '    print("sha256:feed")\n'
        'elif args[:2] == ["image", "inspect"]:\n'
        "    sys.exit(1)\n",
    )

    def wanted(**db_image: str) -> str:
        state = docker_host.read_state(project="blog", volume="v", ports=[8000], **db_image)
        return str(state["db_image_wanted"])

    assert wanted(db_image="mysql:9.7") == "sha256:feed"
    assert wanted(db_image="mysql:1") == ""
    assert wanted() == ""


def test_the_module_runs_under_ansible_and_reports_no_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The module as the role calls it, through ansible's own module runner on this machine,
    # against the fake docker: its argument spec, check mode and return.
    import subprocess
    import sys

    fake_docker(tmp_path, monkeypatch)
    root = Path(__file__).resolve().parents[2]
    args = json.dumps({"project": "blog", "volume": "mysql-data", "ports": [8000]})
    env = {
        "PATH": f"{tmp_path}:{Path(sys.executable).parent}:/usr/bin:/bin",
        "ANSIBLE_COLLECTIONS_PATH": str(root / "collections"),
        "ANSIBLE_NOCOLOR": "1",
        "HOME": str(tmp_path),
    }
    out = subprocess.run(
        [str(Path(sys.executable).parent / "ansible"), "localhost", "--check", "-o",
         "-m", "dockyard_blog.hosts.docker_host_state", "-a", args,
         "-e", f"ansible_python_interpreter={sys.executable}"],
        capture_output=True, text=True, check=False, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    result = json.loads(out.stdout.split("=>", 1)[1])
    assert result["changed"] is False
    assert result["answering"] is True and result["ours"] == ["blog-db-1"]
    assert result["engine_api"] == "1.45" and isinstance(result["listeners"], list)
    bad = subprocess.run(
        [str(Path(sys.executable).parent / "ansible"), "localhost", "-o",
         "-m", "dockyard_blog.hosts.docker_host_state", "-a", json.dumps({"project": "blog"})],
        capture_output=True, text=True, check=False, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert bad.returncode != 0 and "missing required arguments" in bad.stdout
