"""The scenario helpers that read Ansible's output (molecule/_shared/lab_testing.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "molecule/_shared"))

from lab_testing import (
    assert_changed_nothing,
    changed_tasks,
    failure_message,
    recap,
    task_result,
)

# A run shared by two servers, as ansible-playbook prints it (default callback, -vv lines).
SHARED_RUN = """\
PLAY [Deploy the blog] *********************************************************

TASK [django_stack : Bring up with Compose v2 and wait for health, db] *********
ok: [site-1]
ok: [site-2]

TASK [django_stack : Wait for the database to accept the blog's login, then apply the migr...] *
task path: /repo/roles/django_stack/tasks/present.yml:204
skipping: [site-1] => {"changed": false, "false_condition": "..."}
FAILED - RETRYING: [site-2]: Wait (3 retries left).
changed: [site-2] => {"changed": true, "rc": 0}

TASK [django_stack : Check the site answers] ***********************************
ok: [site-1 -> localhost] => (item=/healthz)
fatal: [site-2]: FAILED! => {"changed": false, "msg": "Status code was 400"}
"""


def test_task_result_names_what_the_task_did_on_each_server() -> None:
    migrate = "django_stack : Wait for the database to accept"
    assert task_result(SHARED_RUN, migrate, "site-1") == "skipping"
    assert task_result(SHARED_RUN, migrate, "site-2") == "changed"  # not the retry line
    assert task_result(SHARED_RUN, "django_stack : Check the site", "site-1") == "ok"
    assert task_result(SHARED_RUN, "django_stack : Check the site", "site-2") == "fatal"


def test_task_result_is_none_for_a_server_or_task_the_output_does_not_show() -> None:
    assert task_result(SHARED_RUN, "django_stack : Bring up", "site-3") is None
    assert task_result(SHARED_RUN, "django_stack : Bring up", "site-") is None
    assert task_result(SHARED_RUN, "docker_daemon : Write daemon.json", "site-1") is None


def test_failure_message_is_the_last_fatal_tasks_message() -> None:
    assert failure_message(SHARED_RUN) == "Status code was 400"
    assert failure_message("PLAY RECAP\nsite-1 : ok=3 changed=0 failed=0\n") == ""


# A second run as ansible-playbook prints it: one server changed a task and a handler.
SECOND_RUN = """\
TASK [docker_daemon : Write daemon.json] ***************************************
ok: [site-1]
changed: [site-2]

TASK [django_stack : Check the site answers] ***********************************
ok: [site-1 -> localhost] => (item=/healthz)
changed: [site-2 -> localhost] => (item=/healthz)
changed: [site-2 -> localhost] => (item=/)

RUNNING HANDLER [docker_daemon : Reload the daemon] ****************************
changed: [site-2]

PLAY RECAP *********************************************************************
site-1                     : ok=3    changed=0    unreachable=0    failed=0    skipped=1
site-2                     : ok=4    changed=3    unreachable=0    failed=0    skipped=1
"""


def run_of(output: str, returncode: int = 0) -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess(["ansible-playbook"], returncode, stdout=output)


def test_recap_reads_one_hosts_counters() -> None:
    assert recap(SECOND_RUN, "site-2")["changed"] == 3
    assert recap(SECOND_RUN, "site-1") == {
        "ok": 3, "changed": 0, "unreachable": 0, "failed": 0, "skipped": 1
    }  # fmt: skip


def test_changed_tasks_names_each_task_and_handler_once_for_its_host() -> None:
    assert changed_tasks(SECOND_RUN, "site-2") == [
        "docker_daemon : Write daemon.json",
        "django_stack : Check the site answers",
        "docker_daemon : Reload the daemon",
    ]
    assert changed_tasks(SECOND_RUN, "site-1") == []


def test_assert_changed_nothing_passes_only_a_run_that_changed_nothing() -> None:
    assert_changed_nothing(run_of(SECOND_RUN), ["site-1"])
    with pytest.raises(AssertionError, match="Reload the daemon"):
        assert_changed_nothing(run_of(SECOND_RUN), ["site-1", "site-2"])
    with pytest.raises(AssertionError):
        assert_changed_nothing(run_of(SECOND_RUN, returncode=2), ["site-1"])
