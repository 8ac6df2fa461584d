"""Releases behind the plain-HTTP front (stack-trixie): release 2 deployed, rolled back to 1,
forward to 2 again, and a release that never becomes healthy refused, all under a client
load that counts every request; no reader sees an error in any direction."""

from __future__ import annotations

import datetime
import json
import os
import re
import time
import urllib.request
from pathlib import Path

import pytest
from lab_testing import (
    Load,
    ansible_playbook,
    failure_message,
    lab_address,
    lab_server,
    p99,
    task_result,
)

SERVER = "stack-trixie"
STACK = "stack.yml"
ROLLBACK, RELEASES = "../../playbooks/rollback.yml", "../../playbooks/releases.yml"
PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[3]))
REPORT = PROJECT / "docs" / "releases.md"
PULL = "dockyard_blog.hosts.django_stack_image : Pull the web image"
BUILD = "dockyard_blog.hosts.django_stack_image : Build the web image"
RELEASE_SEEN = "X-Blog-Release"
COMPOSE = "docker compose --project-directory /opt/blog --project-name blog"
LATE_POST = "Written on release 2 after the forward deploy"
KEPT_POST = "Data survives stop rm and redeploy"  # test_stack.py's, written before release 2
RELEASE_STEPS = ("deploy release 2", "roll back to release 1", "deploy release 2 again",
                 "deploy a broken release")  # fmt: skip


def release_now(url: str) -> str:
    """The release answering now, as a reader sees it."""
    request = urllib.request.Request(url, headers={"Host": SERVER})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        return answer.headers.get(RELEASE_SEEN, "")


def page(url: str) -> str:
    request = urllib.request.Request(url, headers={"Host": SERVER})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        return answer.read().decode()


def web_containers(server) -> list[str]:
    return server.check_output(
        "docker ps --all --filter label=com.docker.compose.project=blog "
        "--filter label=com.docker.compose.service=web --format '{{.Names}} {{.Image}}'"
    ).splitlines()


@pytest.fixture(scope="module")
def releases():
    """Each step timed and run while ten readers ask for the home page through the front."""
    server = lab_server(SERVER)
    url = f"http://{lab_address(SERVER)}:8000/"
    steps = [
        ("deploy release 2", STACK, {"django_stack_web_image_tag": "2"}),
        ("roll back to release 1", ROLLBACK, {}),
        ("deploy release 2 again", STACK, {"django_stack_web_image_tag": "2"}),
        ("deploy a broken release", STACK, {"django_stack_web_image_tag": "broken"}),
        # A post written on release 2, then its data rolled back with it.
        ("roll back to release 1 with its data", ROLLBACK, {"django_stack_rollback_schema": True}),
    ]
    seen = {"before": release_now(url), "steps": {}}
    load = Load([url], host_header=SERVER, clients=10).start()
    try:
        time.sleep(2)
        for label, playbook, extra_vars in steps:
            if label.endswith("with its data"):
                seen["listed"] = ansible_playbook(RELEASES, limit=SERVER)
                server.run_expect([0], f"{COMPOSE} exec -T web python3 manage.py create_post "
                                       f"--title '{LATE_POST}' --body late")  # fmt: skip
            started = time.monotonic()
            result = ansible_playbook(playbook, limit=SERVER, extra_vars=extra_vars or None)
            ended = time.monotonic()
            time.sleep(1)
            seen["steps"][label] = {
                "result": result,
                "seconds": ended - started,
                "answers": load.between(started, ended),
                "after": release_now(url),
                "webs": web_containers(server),
            }
    finally:
        load.stop()
    seen |= {"load": load, "page": page(url)}
    write_report(seen)
    return seen


def write_report(seen: dict) -> None:
    rows = [
        f"| {label} | {'ok' if step['result'].returncode == 0 else 'refused'} | "
        f"{len(step['answers'])} | {sum(1 for a in step['answers'] if a.error)} | "
        f"{p99(step['answers']) * 1000:.0f} | {step['seconds']:.0f} |"
        for label, step in seen["steps"].items()
    ]
    REPORT.write_text(
        "# Releases on one server, measured\n\n"
        "Written by `molecule/django_stack/tests/test_stack_releases.py` on each run of the\n"
        "django_stack scenario; do not edit.\n\n"
        "One Debian 13 lab server (Compose v2) behind the plain-HTTP front "
        "(`django_stack_http_front`).\n"
        "Ten readers on the test machine ask for `/` through the front, each waiting for its\n"
        "answer and pausing 0.05 s, while each step runs (`site.yml`'s deploy, or\n"
        "`playbooks/rollback.yml`). Requests and failures are counted over the step's run;\n"
        "p99 is the 99th percentile of the requests' durations.\n\n"
        f"Measured {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC.\n\n"
        "| step | run | requests | failed | p99 (ms) | run (s) |\n"
        "|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )


def step(releases, label: str) -> dict:
    return releases["steps"][label]


def test_the_inventory_release_serves_before_the_first_step(releases):
    assert releases["before"] == "1"


def test_a_new_release_goes_out_with_no_failed_request(releases):
    seen = step(releases, "deploy release 2")
    assert seen["result"].returncode == 0, failure_message(seen["result"].stdout)
    assert len(seen["answers"]) > 100, "the readers read throughout the deploy"
    assert [a.error for a in seen["answers"] if a.error] == []
    assert {a.release for a in seen["answers"]} == {"1", "2"}, "both releases served, in turn"
    assert seen["after"] == "2"
    assert seen["webs"] == [seen["webs"][0]] and "lab/blog:2" in seen["webs"][0], seen["webs"]


def test_a_rollback_puts_release_1_back_without_pull_or_build_and_no_failed_request(releases):
    seen = step(releases, "roll back to release 1")
    out = seen["result"].stdout
    assert seen["result"].returncode == 0, failure_message(out) or out[-3000:]
    assert task_result(out, PULL, SERVER) in (None, "skipping"), "no pull"
    assert task_result(out, BUILD, SERVER) in (None, "skipping"), "no build"
    assert [a.error for a in seen["answers"] if a.error] == []
    assert len(seen["answers"]) > 50
    assert seen["after"] == "1"
    assert len(seen["webs"]) == 1 and " blog-release:" in seen["webs"][0], seen["webs"]
    assert "serves on stack-trixie again" in out


def test_forward_again_then_a_broken_release_is_refused_with_release_2_serving(releases):
    forward = step(releases, "deploy release 2 again")
    assert forward["result"].returncode == 0, failure_message(forward["result"].stdout)
    assert forward["after"] == "2"
    broken = step(releases, "deploy a broken release")
    said = failure_message(broken["result"].stdout)
    assert broken["result"].returncode != 0
    assert "did not become healthy: its command exited" in said, said
    assert "the release that ran before" in said, said
    assert "a broken release" in said, "the container's own last words"
    assert broken["after"] == "2"
    assert [a.error for a in broken["answers"] if a.error] == []
    assert {a.release for a in broken["answers"]} == {"2"}
    assert len(broken["webs"]) == 1 and "lab/blog:2" in broken["webs"][0], "the new one removed"


def test_no_reader_saw_an_error_in_any_direction(releases):
    answers = [a for label in RELEASE_STEPS for a in step(releases, label)["answers"]]
    assert len(answers) > 400
    assert [a for a in answers if a.error] == []


def test_the_releases_are_listed_newest_first_with_the_current_one_marked(releases):
    """Listed after the forward deploy: release 2's record current, its image tagged."""
    listed = releases["listed"]
    assert listed.returncode == 0, failure_message(listed.stdout)
    ids = re.findall(r"(\d{8}T\d{6}Z(?:-\d+)?)( \(current\))?: ", listed.stdout)
    assert ids, listed.stdout[-3000:]
    assert [i for i, _ in ids] == sorted({i for i, _ in ids}, reverse=True), "newest first"
    current = next(i for i, marked in ids if marked)
    server = lab_server(SERVER)
    record = json.loads(server.file(f"/opt/blog/releases/{current}.json").content_string)
    assert record["web_image"].endswith("lab/blog:2")
    assert record["web_image_tag"] == f"blog-release:{current}"
    assert record["files"] == ["docker-compose.yml", "default.conf"]
    kept = server.file(f"/opt/blog/releases/{current}/docker-compose.yml").content_string
    assert "lab/blog:2" in kept, "the compose file the release ran with"
    inspect = "docker image inspect --format '{{.Id}}'"
    assert server.check_output(f"{inspect} blog-release:{current}") == record["web_image_id"]


def test_a_rollback_with_its_data_loads_the_dump_taken_before_the_release_it_leaves(releases):
    seen = step(releases, "roll back to release 1 with its data")
    out = seen["result"].stdout
    assert seen["result"].returncode == 0, failure_message(out) or out[-3000:]
    assert "Restored /var/backups/blog/blog-" in out, out[-3000:]
    assert seen["after"] == "1"
    assert LATE_POST not in releases["page"], "written after that dump: rolled back with it"
    assert KEPT_POST in releases["page"]
