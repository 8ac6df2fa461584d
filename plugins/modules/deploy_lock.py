"""The blog's lock on a host: one run at a time changes the stack.

Two runs of site.yml (or a deploy beside a backup or a restore) against one server would
interleave their steps: one recreating containers while the other dumps or migrates. Each
run that changes the stack takes this lock first and gives it back at its end, and a second
run waits for it, then stops naming who holds it since when. A run killed before its end
(SIGKILL, a lost controller) leaves its lock: the next run's message says so, and breaking it
is the user's decision (O(break_lock)).

Runs on the managed host: Python 3.8 and newer, standard library and Ansible only.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: deploy_lock
short_description: Take or give back a run's lock on the blog's stack on a host
description:
  - With O(state=held), creates the lock file O(path) atomically (the host's own exclusive
    create, so two runs can never both hold it), holding a random token, O(holder) and the
    host's time. When another run holds it, waits up to O(wait) seconds for it to be given
    back, then fails naming the holder and since when.
  - With O(state=released), removes the lock when it holds O(token), the run's own; a lock
    of another run is left in place (with a warning).
  - Taking and giving back the lock within one run leaves the host as it was, so neither
    reports a change; breaking another run's lock (O(break_lock)) does.
  - In check mode the lock is neither taken nor given back; a lock held by another run is
    reported as a warning.
version_added: 3.0.0
author: dockyard developers (!UNKNOWN)
options:
  path:
    description: The lock file. Its directory is created (mode 0750) when missing.
    type: path
    required: true
  state:
    description: Take the lock (V(held)) or give it back (V(released)).
    type: str
    choices: [held, released]
    default: held
  holder:
    description: >-
      Who takes it, as the message of a waiting run shows it (user, controller, what the run
      does).
    type: dict
    default: {}
  wait:
    description: Seconds to wait for another run's lock before failing.
    type: int
    default: 0
  break_lock:
    description: Remove another run's lock first (a run that was killed and left it).
    type: bool
    default: false
  busy:
    description: >-
      What a lock held by another run does, once O(wait) has passed - V(fail), or V(report)
      it (RV(held_by), an empty RV(token)) without failing, for the caller to decide.
    type: str
    choices: [fail, report]
    default: fail
  token:
    description: The token O(state=held) returned; required with O(state=released).
    type: str
"""

EXAMPLES = r"""
- name: Take the blog's lock
  dockyard_blog.hosts.deploy_lock:
    path: /opt/blog/deploy.lock
    holder: {user: "{{ lookup('env', 'USER') }}", operation: deploy}
    wait: 120
  register: lock

- name: Give the lock back
  dockyard_blog.hosts.deploy_lock:
    path: /opt/blog/deploy.lock
    state: released
    token: "{{ lock.token }}"
"""

RETURN = r"""
token:
  description: The token of the lock this run holds (O(state=held)); empty in check mode.
  returned: always
  type: str
since:
  description: The host's time (UTC, ISO 8601) at which the lock was taken.
  returned: when the lock was taken
  type: str
held_by:
  description: The lock of another run found, as it was written (holder, since); null when none.
  returned: always
  type: dict
broken:
  description: The lock of another run that O(break_lock) removed; null when none.
  returned: always
  type: dict
"""

import datetime
import json
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ansible.module_utils.basic import AnsibleModule

LOCK_MODE = 0o600
DIR_MODE = 0o750
POLL = 1.0


def now_stamp() -> str:
    # timezone.utc, not datetime.UTC: the module also runs on hosts' Python 3.8-3.10.
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")  # noqa: UP017


def read_lock(path: Path) -> dict[str, Any] | None:
    """The lock as written, None when there is none. A file cut off while written (a run
    killed at that instant) reads as an unknown holder since the file's time."""
    try:
        text = path.read_text(encoding="utf-8")
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return None
    try:
        found = json.loads(text)
    except ValueError:
        found = None
    if not isinstance(found, dict):
        stamp = datetime.datetime.fromtimestamp(mtime, datetime.timezone.utc)  # noqa: UP017
        return {"token": "", "holder": {}, "since": stamp.isoformat(timespec="seconds")}
    return found


def describe(lock: dict[str, Any]) -> str:
    """Who holds a lock since when, in words."""
    holder = lock.get("holder") or {}
    # The process's start time (clock ticks) tells runs apart; it means nothing to a reader.
    shown = sorted((key, value) for key, value in holder.items() if value and key != "started")
    who = ", ".join(f"{key} {value}" for key, value in shown)
    return f"{who or 'an unknown run'}, since {lock.get('since') or 'an unknown time'}"


def try_create(path: Path, content: dict[str, Any]) -> bool:
    """Create the lock file with its content; False when it exists already."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, LOCK_MODE)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(content, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return True


def hold(
    params: dict[str, Any], *, check: bool, sleep: Callable[[float], None] = time.sleep
) -> dict[str, Any]:
    """Take the lock; the result as the module returns it ("failed" with a message when
    another run kept it for longer than `wait`)."""
    path = Path(params["path"])
    result: dict[str, Any] = {"changed": False, "token": "", "held_by": None, "broken": None}
    found = read_lock(path)
    if check:
        if found is not None:
            result["held_by"] = found
            result["warnings"] = [f"Another run holds the blog's lock {path}: {describe(found)}."]
        return result
    if found is not None and params["break_lock"]:
        path.unlink(missing_ok=True)
        result.update(changed=True, broken=found)
    if not path.parent.is_dir():
        path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    token = secrets.token_hex(16)
    content = {"token": token, "holder": params["holder"], "since": now_stamp()}
    deadline = time.monotonic() + max(int(params["wait"]), 0)
    while not try_create(path, content):
        found = read_lock(path)
        if found is None:
            continue  # given back between the two looks
        if time.monotonic() >= deadline and params["busy"] == "report":
            result["held_by"] = found
            return result
        if time.monotonic() >= deadline:
            result.update(
                failed=True,
                held_by=found,
                msg=(
                    f"Another run holds the blog's lock {path}: {describe(found)}. This run "
                    f"waited {int(params['wait'])} s for it (django_stack_lock_wait) and changed "
                    "nothing. Run again once that run has ended. If no run holds it any more "
                    "(it was killed before its end), run again with "
                    "-e django_stack_lock_break=true."
                ),
            )
            return result
        sleep(POLL)
        content["since"] = now_stamp()
    result.update(token=token, since=content["since"])
    return result


def release(params: dict[str, Any], *, check: bool) -> dict[str, Any]:
    """Give back this run's lock; another run's is left in place."""
    path = Path(params["path"])
    result: dict[str, Any] = {"changed": False, "token": params["token"] or "", "held_by": None,
                              "broken": None}  # fmt: skip
    found = read_lock(path)
    if found is None or check:
        return result
    if found.get("token") != params["token"]:
        result["held_by"] = found
        result["warnings"] = [
            f"The blog's lock {path} is another run's ({describe(found)}): left in place."
        ]
        return result
    path.unlink(missing_ok=True)
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "state": {"type": "str", "choices": ["held", "released"], "default": "held"},
            "holder": {"type": "dict", "default": {}},
            "wait": {"type": "int", "default": 0},
            "break_lock": {"type": "bool", "default": False},
            "busy": {"type": "str", "choices": ["fail", "report"], "default": "fail"},
            "token": {"type": "str", "no_log": False},
        },
        required_if=[("state", "released", ["token"])],
        supports_check_mode=True,
    )
    try:
        if module.params["state"] == "held":
            result = hold(module.params, check=module.check_mode)
        else:
            result = release(module.params, check=module.check_mode)
    except OSError as err:
        module.fail_json(msg=f"{err.__class__.__name__}: {err}")
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
