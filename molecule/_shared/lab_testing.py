"""Helpers for the scenarios' testinfra verifiers: re-running playbooks, reading hosts."""

from __future__ import annotations

import functools
import json
import math
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import testinfra
from testinfra.host import Host


def playbook_argv(
    playbook: str, *, limit: str, extra_vars: dict[str, Any] | None, args: tuple[str, ...]
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of a playbook run of the scenario."""
    scenario = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
    argv = [
        "ansible-playbook",
        "--inventory",
        # The directory, as Molecule passes it: the generated inventory plus linked files.
        str(Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent),
        "--limit",
        limit,
        str(scenario / playbook),
        *args,
    ]
    if extra_vars:
        argv += ["--extra-vars", json.dumps(extra_vars)]
    return argv, {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"}


def ansible_playbook(
    playbook: str,
    *,
    limit: str,
    extra_vars: dict[str, Any] | None = None,
    args: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run a playbook of the scenario against its inventory; stdout holds all output."""
    argv, env = playbook_argv(playbook, limit=limit, extra_vars=extra_vars, args=args)
    return subprocess.run(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False, env=env
    )


def start_playbook(
    playbook: str,
    output: Path,
    *,
    limit: str,
    extra_vars: dict[str, Any] | None = None,
    args: tuple[str, ...] = (),
) -> subprocess.Popen[str]:
    """Start a playbook run of the scenario in the background, its output into `output`
    (readable while it runs)."""
    argv, env = playbook_argv(playbook, limit=limit, extra_vars=extra_vars, args=args)
    with output.open("w") as handle:
        return subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT, text=True, env=env)


def wait_for_output(run: subprocess.Popen[str], output: Path, text: str, timeout: float) -> None:
    """Wait until a started run has printed `text`; fail when it ends or times out first."""
    deadline = time.monotonic() + timeout
    while text not in output.read_text():
        if run.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"never printed {text!r}: {output.read_text()[-3000:]}")
        time.sleep(0.5)


@functools.cache
def verbose_rerun(playbook: str, limit: str) -> subprocess.CompletedProcess[str]:
    """The converge run again at -vv, once per test session, for every test that reads it.

    Scenarios that have it leave out Molecule's idempotence step: this run is that step
    (checked by `assert_changed_nothing`, run first thing in verify) and also the run whose
    arguments and results the no-secret tests search, so the site is not run twice more."""
    return ansible_playbook(playbook, limit=limit, args=("-vv",))


def recap(output: str, host: str) -> dict[str, int]:
    """The PLAY RECAP counters (ok, changed, failed...) of one host."""
    line = next(x for x in output.splitlines() if x.startswith(f"{host} ") and "ok=" in x)
    return {k: int(v) for k, v in (f.split("=") for f in line.split(":", 1)[1].split())}


def changed_tasks(output: str, host: str) -> list[str]:
    """The tasks and handlers a run's output shows changing `host`, in order, once each."""
    changed: list[str] = []
    task = ""
    for line in output.splitlines():
        if line.startswith(("TASK [", "RUNNING HANDLER [")):
            task = line[line.index("[") + 1 : line.rindex("]")]
        elif line.startswith((f"changed: [{host}]", f"changed: [{host} -> ")) and (
            task not in changed
        ):
            changed.append(task)
    return changed


def assert_changed_nothing(result: subprocess.CompletedProcess[str], hosts: Iterable[str]) -> None:
    """What Molecule's idempotence step asserts: the run passed and changed nothing on any
    of the hosts. A failure names the tasks that changed, host by host."""
    assert result.returncode == 0, failure_message(result.stdout) or result.stdout[-3000:]
    output = result.stdout
    changed = {h: changed_tasks(output, h) for h in hosts if recap(output, h)["changed"]}
    assert changed == {}, f"a second run changed: {changed}"


def lab_hosts(names: tuple[str, ...]) -> dict[str, Host]:
    """The scenario's servers by name, for a fixture that runs one playbook against all of
    them (Ansible works on them in parallel) and lets each server's tests check their own.

    Each is a root shell in the server's container, for looking: the scenario's own
    connection (SSH as deploy with sudo in swarm and examples) is what its playbooks use,
    and testinfra does not template an inventory's `ansible_host`."""
    return {name: lab_server(name) for name in names}


def lab_server(name: str) -> Host:
    """A root shell in one lab server's container (see lab_hosts)."""
    return testinfra.get_host(f"docker://{name}")


def assert_came_over_ssh_with_sudo(server: Host, user: str = "deploy") -> None:
    """The server's journal shows Ansible logging in over SSH as `user` with a key and
    becoming root through sudo: what reaching a real server looks like."""
    journal = server.check_output("journalctl --no-pager --output cat")
    assert f"Accepted publickey for {user}" in journal
    assert f"{user} : PWD=" in journal and "USER=root" in journal


def task_result(output: str, task: str, host: str) -> str | None:
    """What a run's output says the task did on `host` ("ok", "changed", "skipping",
    "fatal"...), from the first task whose name starts with `task`; None when the task's
    output does not name the host. Reads runs shared by several servers, at any verbosity."""
    lines = output.splitlines()
    for number, line in enumerate(lines):
        if line.startswith(f"TASK [{task}"):
            for result in lines[number + 1 :]:
                if result.startswith(("TASK [", "PLAY ")):
                    return None
                word, _, rest = result.partition(": ")
                if rest.startswith((f"[{host}]", f"[{host} -> ")) and " " not in word:
                    return word
            return None
    return None


def host_file_digest(host: Host, path: str) -> str:
    """sha256 of a file on the host, or 'absent'."""
    out = host.run(f"sha256sum {path}")
    return out.stdout.split()[0] if out.rc == 0 else "absent"


def failure_message(output: str) -> str:
    """What Ansible said last when a run failed (a rescue's message follows the failure it
    rescued): the failed task's message, on one line."""
    lines = output.splitlines()
    for number, line in reversed(list(enumerate(lines))):
        if "fatal: [" not in line or "=> " not in line:
            continue
        text = line.split("=> ", 1)[1]
        # One line by default; indented over several at -v and above.
        for end in range(number + 1, min(len(lines), number + 400) + 1):
            try:
                result = json.loads(text)
            except json.JSONDecodeError:
                if end < len(lines):
                    text += "\n" + lines[end]
                continue
            return " ".join(str(result.get("msg", "")).split())
    return ""


def record_fault(case: str, done: str, said: str, checked: str) -> None:
    """Add a row to the table of faults tried (rendered by `python -m dockyard_lab.faults`)."""
    project = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
    scenario = os.environ["MOLECULE_SCENARIO_NAME"]
    path = project / ".lab" / "faults" / f"{scenario}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    row = {"scenario": scenario, "case": case, "done": done, "said": said, "checked": checked}
    with path.open("a", encoding="utf-8") as table:
        table.write(json.dumps(row, ensure_ascii=False) + "\n")


def http_get(
    url: str, timeout: float = 120, read_timeout: float = 5, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    """GET a URL as a visitor would, retrying until it answers 200 or `timeout` runs out:
    refused, reset, an error status and a read that timed out (TimeoutError, which is no
    URLError) are all retried. Returns the status and the body."""
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310
    while True:
        try:
            with urllib.request.urlopen(request, timeout=read_timeout) as response:  # noqa: S310
                return response.status, response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


def lab_address(name: str) -> str:
    """A lab server's address on the lab network, as this machine reaches it."""
    fmt = '{{(index .NetworkSettings.Networks "dockyard-lab").IPAddress}}'
    return subprocess.run(
        ["docker", "inspect", "--format", fmt, name], capture_output=True, text=True, check=True
    ).stdout.strip()


class Answer(NamedTuple):
    """One request of a Load: when it started (monotonic), how long it took, its status
    (0 for none), what went wrong ("" when it answered 200) and the X-Blog-Release seen."""

    started: float
    seconds: float
    status: int
    error: str
    release: str


def p99(answers: list[Answer]) -> float:
    """The 99th percentile of the answers' durations (nearest rank), 0 for none."""
    durations = sorted(answer.seconds for answer in answers)
    return durations[math.ceil(0.99 * len(durations)) - 1] if durations else 0.0


@dataclass
class Load:
    """A bounded client load: `clients` readers at once, each sending a request (to the
    URLs in turn), waiting for its answer, pausing `pace` s, at most `limit` requests in
    all; every answer is kept."""

    urls: list[str]
    host_header: str = ""
    clients: int = 10
    limit: int = 200000
    pace: float = 0.05
    answers: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _sent: int = 0

    def start(self) -> Load:
        self._threads = [
            threading.Thread(target=self._read, daemon=True) for _ in range(self.clients)
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    @property
    def failed(self) -> list[Answer]:
        with self._lock:
            return [answer for answer in self.answers if answer.error]

    def between(self, start: float, end: float) -> list[Answer]:
        with self._lock:
            return [answer for answer in self.answers if start <= answer.started <= end]

    def _read(self) -> None:
        headers = {"Host": self.host_header} if self.host_header else {}
        while not self._stop.is_set():
            with self._lock:
                if self._sent >= self.limit:
                    return
                url = self.urls[self._sent % len(self.urls)]
                self._sent += 1
            started = time.monotonic()
            status, error, release = 0, "", ""
            request = urllib.request.Request(url, headers=headers)  # noqa: S310
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                    response.read()
                    status, release = response.status, response.headers.get("X-Blog-Release", "")
                    error = "" if status == 200 else f"status {status}"
            except urllib.error.HTTPError as failed:
                status, error = failed.code, f"status {failed.code}"
            except OSError as failed:
                error = f"{type(failed).__name__}: {failed}"
            with self._lock:
                self.answers.append(
                    Answer(started, time.monotonic() - started, status, error, release)
                )
            time.sleep(self.pace)
