"""The scenario helpers that read Ansible's output (molecule/_shared/lab_testing.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "molecule/_shared"))

from lab_testing import failure_message, task_result

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
