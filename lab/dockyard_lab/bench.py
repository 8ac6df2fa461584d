"""The benchmark (issue #8): site.yml on fleets of lab servers, against the floor.

For each connection, fleet size and repetition: N fresh trixie servers (bench-1..bench-N,
labelled dockyard.lab.bench=1) in the groups a production pull host is in, a cold converge
of site.yml and a re-run, both timed; the re-run's PLAY RECAP must say changed=0 on every
host. Two connections: the docker connection every lab run uses, and SSH as real servers
are reached (a `deploy` user with sudo, become, the project's ansible.cfg: pipelining and
ControlPersist). The floor is the same work done by hand on one fresh server: one apt-get
install, daemon.json, the image pulls and the database's first start. docs/benchmarks.md
holds the medians and a verdict per target of issue #14.

Reading the runs (ansible.posix's json callback, not the text), medians, verdicts and the
report are pure functions (tests/unit/test_lab_bench.py); the rest drives servers through
the lab's helpers and always removes them.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from . import LABEL, engine, images, registry, servers, stack
from .run import LabError, log, run
from .services import NETWORK, PROJECT_ROOT, STATE_DIR

BENCH_LABEL = f"{LABEL}.bench=1"
BENCH_DIR = STATE_DIR / "bench"
INVENTORY_DIR = BENCH_DIR / "inventory"
FACTS_DIR = BENCH_DIR / "facts"
LOG_DIR = BENCH_DIR / "logs"
LAB_GROUP_VARS = PROJECT_ROOT / "inventory" / "lab" / "group_vars"
SUITE = "trixie"
DEFAULT_SIZES = (1, 4, 8)
DEFAULT_REPEAT = 3
DEFAULT_OUTPUT = Path("docs/benchmarks.md")
DOCKER, SSH = "docker", "ssh"
CONNECTIONS = (DOCKER, SSH)
# SSH as the examples reach real servers: this user, sudo without a password, the lab's key
# (the examples scenario's, made on first use).
SSH_USER = "deploy"
SSH_KEY = STATE_DIR / "ssh" / "bench" / "id_ed25519"
# sshd and the deploy user, as the examples and swarm scenarios prepare their servers.
PREPARE_SSH = PROJECT_ROOT / "molecule" / "_shared" / "prepare-ssh.yml"
# Pull is what production does (group_vars/lab_pull); lab brings the lab environment's values.
GROUPS = ("lab", "docker_hosts", "blog", "lab_pull")

# ansible.posix's json callback instead of the text: every task's start and end, every
# host's result and the recap as data. It replaces profile_tasks (ansible.cfg enables that
# one, and it would print into the JSON); a fact cache of the benchmark's own, emptied
# before each cold converge, so no fresh server starts with the facts of an earlier one.
ANSIBLE_ENV = {
    "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
    "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.json",
    "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(FACTS_DIR),
    "ANSIBLE_NOCOLOR": "1",
}

# The floor: what the roles put on a Debian 13 lab_pull server, done by hand.
FLOOR_SERVER = "bench-floor"
FLOOR_DB = "bench-db"
# docker_engine (distro, Debian 13: docker.io + docker-cli, SDK python3-docker),
# docker_compose (auto on Debian 13: the docker-compose v2 package), docker_daemon (procps).
FLOOR_PACKAGES = ("docker.io", "docker-cli", "docker-compose", "python3-docker", "procps")
# inventory/lab/group_vars/lab/main.yml (database) and lab_pull/main.yml (the blog).
DB_IMAGE = f"{registry.MIRROR.name}:5000/lab/mysql:9.7"
BLOG_IMAGE = f"{registry.PRIVATE.name}:5000/lab/blog:latest"
INSECURE_REGISTRIES = (f"{registry.MIRROR.name}:5000", f"{registry.PRIVATE.name}:5000")
DB_ARGS = ("--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci")

# The targets of issue #8.
RERUN_LIMIT = 0.10
FLEET_LIMIT = 3.0
FLOOR_LIMIT = 1.5
BIG_FLEET = 8
# Seconds a one-server re-run may take, per connection (issue #14).
RERUN_SECONDS = {SSH: 10.0, DOCKER: 15.0}

NO_ROLE = "(plays, outside roles)"


# --- Reading ansible-playbook's JSON ---------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """What one ansible-playbook run reported through the json callback."""

    recap: dict[str, dict[str, int]]  # host -> ok, changed, failures, skipped, ...
    tasks: list[tuple[str, float]]  # "role : Task" (or a play's own task) -> seconds
    failures: list[str]  # "host: task: message"


def _seconds(duration: Mapping[str, str]) -> float:
    """A task's wall time from the callback's ISO start and end (0 when either is missing)."""
    try:
        start = datetime.fromisoformat(duration["start"])
        end = datetime.fromisoformat(duration["end"])
    except (KeyError, ValueError):
        return 0.0
    return max((end - start).total_seconds(), 0.0)


def parse_run(output: str) -> Run:
    """The run's recap, task times and failures; empty when the output is not the callback's
    JSON (ansible-playbook stopped before any play: its error is on stderr)."""
    try:
        data = json.loads(output)
    except json.JSONDecodeError:
        return Run({}, [], [])
    if not isinstance(data, dict):
        return Run({}, [], [])
    recap = {
        host: {key: int(value) for key, value in counts.items()}
        for host, counts in (data.get("stats") or {}).items()
    }
    tasks: list[tuple[str, float]] = []
    failures: list[str] = []
    for play in data.get("plays") or []:
        for entry in play.get("tasks") or []:
            task = entry.get("task") or {}
            name = str(task.get("name", ""))
            tasks.append((name, _seconds(task.get("duration") or {})))
            for host, result in (entry.get("hosts") or {}).items():
                if result.get("failed") and not result.get("ignore_errors"):
                    message = str(result.get("msg", "")).strip().splitlines()
                    failures.append(f"{host}: {name}: {message[0] if message else 'failed'}")
                elif result.get("unreachable"):
                    failures.append(f"{host}: {name}: unreachable: {result.get('msg', '')}")
    return Run(recap, tasks, failures)


def changed_counts(recap: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """Host -> its changed count."""
    return {host: counts.get("changed", 0) for host, counts in recap.items()}


def failure_summary(output: str, errors: str = "", limit: int = 20) -> str:
    """What went wrong in a failed run: each failed task's message, the recap, and the last
    lines ansible-playbook wrote to stderr (its own errors, before any play)."""
    run_ = parse_run(output)
    recap = [
        f"{host}: " + " ".join(f"{key}={value}" for key, value in counts.items())
        for host, counts in run_.recap.items()
    ]
    stderr = [line for line in errors.splitlines() if line.strip()][-5:]
    return "\n".join([*run_.failures[:limit], *recap, *stderr])


def role_of(task: str) -> str:
    """The role a task belongs to ('role : Task'), facts on their own."""
    if " : " in task:
        return task.split(" : ", 1)[0].strip()
    return "(gathering facts)" if task == "Gathering Facts" else NO_ROLE


def role_times(output: str) -> dict[str, float]:
    """Seconds per role, summed over the run's tasks, largest first."""
    totals: dict[str, float] = {}
    for task, seconds in parse_run(output).tasks:
        totals[role_of(task)] = totals.get(role_of(task), 0.0) + seconds
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))


def parse_core_version(version_output: str) -> str:
    """'ansible-playbook [core 2.19.14]' -> '2.19.14'."""
    match = re.search(r"\[core ([^\]]+)\]", version_output)
    return match[1] if match else "unknown"


def parse_collection_version(galaxy_json: str, name: str) -> str:
    """The version `ansible-galaxy collection list <name> --format json` reports."""
    try:
        found = json.loads(galaxy_json or "{}")
    except json.JSONDecodeError:
        return "unknown"
    for collections in found.values():
        if name in collections:
            return str(collections[name].get("version", "unknown"))
    return "unknown"


def parse_meminfo(text: str) -> int:
    """MemTotal of /proc/meminfo in KiB (0 when absent)."""
    match = re.search(r"^MemTotal:\s+(\d+)\s+kB", text, re.MULTILINE)
    return int(match[1]) if match else 0


# --- What a run measured, and what it means ------------------------------------------------


@dataclass(frozen=True)
class Converge:
    """One repetition on one fleet: the cold converge, the re-run and its changes, and
    each run's seconds per role."""

    size: int
    cold: float
    rerun: float
    rerun_changed: dict[str, int]
    roles: dict[str, float]
    rerun_roles: dict[str, float] = field(default_factory=dict)

    @property
    def idempotent(self) -> bool:
        return bool(self.rerun_changed) and not any(self.rerun_changed.values())


@dataclass(frozen=True)
class FloorRun:
    """The floor's steps on one fresh server: (step, command, seconds)."""

    steps: tuple[tuple[str, str, float], ...]

    @property
    def total(self) -> float:
        return sum(seconds for _, _, seconds in self.steps)


@dataclass(frozen=True)
class Machine:
    cores: int
    memory_kib: int
    load: float
    ansible_core: str
    community_docker: str
    debian: str
    engine: str


@dataclass(frozen=True)
class Verdict:
    """One target: numerator / denominator against limit (unit "%" or "x"), or seconds
    against limit (unit "s", no denominator); or why it was not measured."""

    target: str
    limit: float
    numerator: float | None
    denominator: float | None
    missing: str = ""
    unit: str = ""

    @property
    def ratio(self) -> float | None:
        if self.numerator is None:
            return None
        if self.unit == "s":
            return self.numerator
        if not self.denominator:
            return None
        return self.numerator / self.denominator

    @property
    def status(self) -> str:
        if self.ratio is None:
            return "not measured"
        return "met" if self.ratio <= self.limit else "not met"


@dataclass(frozen=True)
class Report:
    command: str
    started: datetime
    duration: float
    machine: Machine
    fleets: dict[str, dict[int, list[Converge]]]  # connection -> fleet size -> repetitions
    floors: list[FloorRun] = field(default_factory=list)


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def median_cold(runs: Sequence[Converge]) -> float | None:
    return median([r.cold for r in runs])


def median_rerun(runs: Sequence[Converge]) -> float | None:
    return median([r.rerun for r in runs])


def median_roles(runs: Sequence[Converge], *, rerun: bool = False) -> dict[str, float]:
    """Median seconds per role across repetitions (a role absent from one counts 0 there),
    of the cold converges or of the re-runs."""
    split = [r.rerun_roles if rerun else r.roles for r in runs]
    names = {name for roles in split for name in roles}
    medians = {name: statistics.median([roles.get(name, 0.0) for roles in split]) for name in names}
    return dict(sorted(medians.items(), key=lambda item: (-item[1], item[0])))


def median_floor(floors: Sequence[FloorRun]) -> list[tuple[str, str, float]]:
    """Median seconds of each floor step across repetitions, in the steps' order."""
    if not floors:
        return []
    return [
        (step, command, statistics.median([f.steps[i][2] for f in floors]))
        for i, (step, command, _) in enumerate(floors[0].steps)
    ]


def verdicts(
    fleets: Mapping[str, Mapping[int, Sequence[Converge]]], floors: Sequence[FloorRun]
) -> list[Verdict]:
    """Issue #14's targets, from the medians: the one-server re-run per connection (in
    seconds, and over SSH as a share of its cold converge), then per connection the
    fleet's cold converge and re-run against one server's, and one server against the floor."""
    floor = median([f.total for f in floors])
    result = []

    def missing(connection: str, *sizes: int) -> str:
        if connection not in fleets:
            return f"the {connection} connection was not in --connections"
        absent = [size for size in sizes if not fleets[connection].get(size)]
        return f"fleet size {absent[0]} was not in --servers" if absent else ""

    for connection in (SSH, DOCKER):
        one = fleets.get(connection, {}).get(1, [])
        result.append(
            Verdict(
                f"re-run ≤ {RERUN_SECONDS[connection]:.0f} s (1 server, {connection})",
                RERUN_SECONDS[connection],
                median_rerun(one),
                None,
                missing(connection, 1),
                unit="s",
            )
        )
    one_ssh = fleets.get(SSH, {}).get(1, [])
    result.append(
        Verdict(
            "re-run ≤ 10% of the cold converge (1 server, ssh)",
            RERUN_LIMIT,
            median_rerun(one_ssh),
            median_cold(one_ssh),
            missing(SSH, 1),
            unit="%",
        )
    )
    for connection in CONNECTIONS:
        runs = fleets.get(connection, {})
        one, big = runs.get(1, []), runs.get(BIG_FLEET, [])
        result += [
            Verdict(
                f"{BIG_FLEET} servers {run} ≤ 3x 1 server {run} ({connection})",
                FLEET_LIMIT,
                measure(big),
                measure(one),
                missing(connection, 1, BIG_FLEET),
                unit="x",
            )
            for run, measure in (("re-run", median_rerun), ("cold", median_cold))
        ]
        result.append(
            Verdict(
                f"1 server cold ≤ 1.5x the floor ({connection})",
                FLOOR_LIMIT,
                median_cold(one),
                floor,
                missing(connection, 1) or ("" if floors else "the floor was not measured"),
                unit="x",
            )
        )
    return result


# --- The report ----------------------------------------------------------------------------


def _s(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.1f} s"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def changed_cell(changed: Mapping[str, int]) -> str:
    """'0' when every host reported changed=0, else the hosts that did not, flagged."""
    if not changed:
        return "**no PLAY RECAP**"
    offenders = {host: n for host, n in sorted(changed.items()) if n}
    if not offenders:
        return "0"
    return "**NOT IDEMPOTENT**: " + ", ".join(f"{h} changed={n}" for h, n in offenders.items())


def verdict_row(verdict: Verdict) -> list[str]:
    if verdict.ratio is None:
        return [verdict.target, f"not measured: {verdict.missing}", "not measured"]
    if verdict.unit == "s":
        return [verdict.target, _s(verdict.ratio), verdict.status]
    value = f"{verdict.ratio * 100:.1f}%" if verdict.unit == "%" else f"{verdict.ratio:.2f}x"
    measured = f"{value} ({_s(verdict.numerator)} / {_s(verdict.denominator)})"
    return [verdict.target, measured, verdict.status]


def render_machine(report: Report) -> list[str]:
    m = report.machine
    rows = [
        ["CPU cores", str(m.cores)],
        ["memory", f"{m.memory_kib / 1024 / 1024:.1f} GiB"],
        ["load average (1 min) at the start", f"{m.load:.2f}"],
        ["ansible-core", m.ansible_core],
        ["community.docker", m.community_docker],
        ["server image", f"{images.ServerRecipe(SUITE).tag}, Debian {m.debian}"],
        ["Docker engine on a bench server", m.engine],
    ]
    return ["## Machine and versions", "", *_table(["", ""], rows), ""]


CONNECTION_TITLES = {
    DOCKER: "the docker connection (every lab run's)",
    SSH: f"SSH as {SSH_USER} with become (real servers'), the project's ansible.cfg",
}


def render_fleet(connection: str, size: int, runs: Sequence[Converge]) -> list[str]:
    rows = [
        [str(i), _s(r.cold), _s(r.rerun), changed_cell(r.rerun_changed)]
        for i, r in enumerate(runs, 1)
    ]
    idempotent = "0 in every repetition" if all(r.idempotent for r in runs) else "**not 0**"
    rows.append(["**median**", _s(median_cold(runs)), _s(median_rerun(runs)), idempotent])
    title = f"### {size} server{'s' if size > 1 else ''}, {connection}"
    header = ["repetition", "cold converge", "re-run", "changed on re-run"]
    return [title, "", *_table(header, rows), ""]


def _share(seconds: float, total: float) -> str:
    return f"{seconds / total * 100:.0f}%" if total else "-"


def render_roles(connection: str, runs: Sequence[Converge]) -> list[str]:
    title = f"### Where one server's runs spend their time, {connection}"
    if not runs:
        return [title, "", "Not measured: fleet size 1 was not in --servers.", ""]
    cold, rerun = median_roles(runs), median_roles(runs, rerun=True)
    cold_total, rerun_total = sum(cold.values()), sum(rerun.values())
    rows = [
        [
            name,
            _s(cold.get(name, 0.0)),
            _share(cold.get(name, 0.0), cold_total),
            _s(rerun.get(name, 0.0)),
            _share(rerun.get(name, 0.0), rerun_total),
        ]
        for name in dict.fromkeys([*cold, *rerun])
    ]
    rows.append(["**all tasks**", _s(cold_total), "100%", _s(rerun_total), "100%"])
    rows.append(
        [
            "wall clock (ansible-playbook start to end)",
            _s(median_cold(runs)),
            "",
            _s(median_rerun(runs)),
            "",
        ]
    )
    intro = (
        "Per role, the sum of its tasks' times (start to end, as ansible.posix's json callback "
        "reports them; `role : task`), median of "
        "the repetitions; tasks outside roles are the preflight play's. What the tasks do not "
        "add up to is ansible-playbook's own time between tasks (loading, templating, "
        "forks, callbacks)."
    )
    header = ["role", "cold converge", "share", "re-run", "share"]
    return [title, "", intro, "", *_table(header, rows), ""]


def render_floor(floors: Sequence[FloorRun]) -> list[str]:
    title = "## The floor"
    intro = (
        f"The same work by hand on one fresh {SUITE} server ({FLOOR_SERVER}), timed step by "
        "step, median of the repetitions: what a converge cannot go below."
    )
    steps = median_floor(floors)
    rows = [[step, f"`{command}`", _s(sec)] for step, command, sec in steps]
    rows.append(["**sum**", "", _s(median([f.total for f in floors]))])
    return [title, "", intro, "", *_table(["step", "command", "time"], rows), ""]


def render(report: Report) -> str:
    """docs/benchmarks.md."""
    counts = {len(runs) for sizes in report.fleets.values() for runs in sizes.values()}
    repeats = sorted(counts | {len(report.floors)})
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `{report.command}` on {report.started:%Y-%m-%d %H:%M} UTC, in "
        f"{report.duration / 60:.0f} min. Lab servers are containers on this one machine, so "
        "every server of a fleet shares its cores. Times are wall-clock seconds; medians "
        f"over {'/'.join(str(n) for n in repeats)} repetition(s).",
        "",
        *render_machine(report),
        "## Targets",
        "",
        *_table(
            ["target", "measured", "verdict"],
            [verdict_row(v) for v in verdicts(report.fleets, report.floors)],
        ),
        "",
        "What stands in the way of a target not met, and what was tried against it: "
        "[testing.md, Speed](testing.md#speed).",
        "",
    ]
    for connection, sizes in report.fleets.items():
        lines += [f"## Over {CONNECTION_TITLES[connection]}", ""]
        for size, runs in sizes.items():
            lines += render_fleet(connection, size, runs)
        lines += render_roles(connection, sizes.get(1, []))
    lines += render_floor(report.floors)
    return "\n".join(lines).rstrip() + "\n"


def bench_command(
    sizes: Sequence[int], repeat: int, output: Path, connections: Sequence[str] = CONNECTIONS
) -> str:
    """The command line that reproduces a run."""
    args = ["--servers", *map(str, sizes), "--repeat", str(repeat)]
    args += ["--connections", *connections, "--output", str(output)]
    return shlex.join(["python", "-m", "dockyard_lab", "bench", *args])


# --- The generated inventory ---------------------------------------------------------------


def hosts_yaml(names: Sequence[str], root: Path, addresses: Mapping[str, str] | None = None) -> str:
    """hosts.yml of a bench fleet: the lab's groups, pull as in production. With addresses
    (name -> IP), SSH to each as the deploy user with become; else the docker connection."""
    if addresses is None:
        connection = ["        ansible_connection: community.docker.docker"]
        hosts = "".join(f"            {name}:\n" for name in names)
    else:
        connection = [
            "        ansible_connection: ssh",
            f"        ansible_user: {SSH_USER}",
            "        ansible_become: true",
            f"        ansible_ssh_private_key_file: {json.dumps(str(SSH_KEY))}",
            "        # Fresh servers with the image's host keys, at new addresses every run.",
            "        ansible_ssh_common_args: "
            "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
        ]
        hosts = "".join(
            f"            {name}:\n              ansible_host: {addresses[name]}\n"
            for name in names
        )
    lines = [
        "---",
        "# Written by python -m dockyard_lab bench: a fleet of bench servers.",
        "all:",
        "  vars:",
        f"    dockyard_lab_root: {json.dumps(str(root))}",
        "  children:",
        "    lab:",
        "      vars:",
        *connection,
        "      children:",
    ]
    text = "\n".join(lines) + "\n"
    for group in GROUPS[1:]:
        text += f"        {group}:\n          hosts:\n{hosts}"
    return text


def write_inventory(
    directory: Path,
    names: Sequence[str],
    root: Path = PROJECT_ROOT,
    addresses: Mapping[str, str] | None = None,
) -> Path:
    """hosts.yml and a group_vars link to the lab's, in directory (replaced)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "hosts.yml").write_text(hosts_yaml(names, root, addresses))
    link = directory / "group_vars"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(root / "inventory" / "lab" / "group_vars", target_is_directory=True)
    return directory


# --- Driving the lab -----------------------------------------------------------------------


def venv_bin(tool: str) -> str:
    """A tool next to this Python (the project's venv), else the one on PATH."""
    candidate = Path(sys.executable).parent / tool
    return str(candidate) if candidate.exists() else tool


def playbook_argv(inventory: Path) -> list[str]:
    env = [f"{key}={value}" for key, value in ANSIBLE_ENV.items()]
    return ["env", *env, venv_bin("ansible-playbook"), "-i", str(inventory), "site.yml"]


def timed(step: Callable[[], object]) -> float:
    start = time.monotonic()
    step()
    return time.monotonic() - start


def wait_until(check: Callable[[], bool], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise LabError(f"gave up after {timeout:.0f}s waiting until {what}")
        time.sleep(0.5)


def playbook(inventory: Path, log_name: str) -> tuple[float, str]:
    """Run site.yml against inventory; (wall-clock seconds, output). The log stays in .lab/."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_path = LOG_DIR / f"{log_name}.log"
    log(f"{log_name}: ansible-playbook -i {inventory} site.yml (log: {log_path})")
    start = time.monotonic()
    proc = run(playbook_argv(inventory), check=False, cwd=PROJECT_ROOT)
    seconds = time.monotonic() - start
    log_path.write_text(proc.stdout)
    if proc.stderr:
        log_path.with_suffix(".stderr").write_text(proc.stderr)
    if proc.returncode != 0:
        summary = failure_summary(proc.stdout, proc.stderr)
        raise LabError(
            f"{log_name}: ansible-playbook failed ({proc.returncode}), see {log_path}\n{summary}"
        )
    log(f"{log_name}: {seconds:.1f}s")
    return seconds, proc.stdout


@contextmanager
def bench_servers(names: Sequence[str]) -> Iterator[list[str]]:
    """Fresh bench servers (a leftover of the same name is removed first), always removed."""
    try:
        for name in names:
            servers.remove_server(name)
            servers.start_server(name, images.ServerRecipe(SUITE).tag, labels=[BENCH_LABEL])
        yield list(names)
    finally:
        for name in names:
            servers.remove_server(name)
        log(f"removed {', '.join(names)}")


def in_server(name: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run(["docker", "exec", name, *argv], check=check)


def server_address(name: str) -> str:
    fmt = f"{{{{(index .NetworkSettings.Networks {json.dumps(NETWORK)}).IPAddress}}}}"
    return run(["docker", "inspect", "--format", fmt, name]).stdout.strip()


def ssh_answers(address: str) -> bool:
    argv = ["ssh", "-i", str(SSH_KEY), "-o", "BatchMode=yes", "-o", "ConnectTimeout=5"]
    argv += ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]
    return run([*argv, f"{SSH_USER}@{address}", "sudo", "-n", "true"], check=False).returncode == 0


def enable_ssh(inventory: Path, addresses: Mapping[str, str]) -> None:
    """What a hosting provider hands over: sshd running, a sudoer whose key is known. Done by
    the playbook the examples and swarm scenarios prepare with (it makes the key too)."""
    log(f"ansible-playbook -i {inventory} {PREPARE_SSH.relative_to(PROJECT_ROOT)}")
    argv = [venv_bin("ansible-playbook"), "-i", str(inventory), str(PREPARE_SSH)]
    proc = run(argv, check=False, cwd=PROJECT_ROOT)
    if proc.returncode != 0:
        summary = failure_summary(proc.stdout, proc.stderr)
        raise LabError(f"preparing SSH on the bench servers failed ({proc.returncode})\n{summary}")
    for name, address in addresses.items():
        answers = partial(ssh_answers, address)
        wait_until(answers, f"{name}: SSH as {SSH_USER} answers", timeout=60)


def measure_fleet(size: int, repetition: int, connection: str = DOCKER) -> Converge:
    """Cold converge and re-run of site.yml on `size` fresh servers, over `connection`."""
    names = [f"bench-{i}" for i in range(1, size + 1)]
    label = f"{connection}-{size}-servers-{repetition}"
    with bench_servers(names):
        addresses = None
        if connection == SSH:
            addresses = {name: server_address(name) for name in names}
        inventory = write_inventory(INVENTORY_DIR, names, addresses=addresses)
        if addresses is not None:
            enable_ssh(inventory, addresses)
        shutil.rmtree(FACTS_DIR, ignore_errors=True)
        cold, cold_out = playbook(inventory, f"{label}-cold")
        rerun, rerun_out = playbook(inventory, f"{label}-rerun")
    changed = changed_counts(parse_run(rerun_out).recap)
    if any(changed.values()) or set(changed) != set(names):
        log(f"{label}: the re-run is not clean: {changed}")
    return Converge(size, cold, rerun, changed, role_times(cold_out), role_times(rerun_out))


def daemon_json() -> str:
    return json.dumps({"insecure-registries": list(INSECURE_REGISTRIES)})


def engine_answers(name: str) -> bool:
    return in_server(name, "docker", "info", check=False).returncode == 0


def docker_login(name: str) -> None:
    """Log the server's engine in to the private registry (password on stdin, as the role)."""
    argv = ["docker", "exec", "-i", name, "docker", "login", "--username", registry.PRIVATE_USER]
    argv += ["--password-stdin", f"{registry.PRIVATE.name}:5000"]
    proc = subprocess.run(
        argv, input=registry.private_password(), text=True, capture_output=True, check=False
    )
    if proc.returncode != 0:
        raise LabError(f"{name}: docker login failed: {proc.stderr.strip()}")


def start_database(name: str) -> None:
    """The database's first start as the stack does it, until it answers a ping."""
    password = secrets.token_urlsafe(18)  # a throwaway database in a throwaway server
    env = ["MYSQL_DATABASE=blog", "MYSQL_USER=blog", f"MYSQL_PASSWORD={password}"]
    env += [f"MYSQL_ROOT_PASSWORD={password}"]
    argv = [
        "docker",
        "run",
        "--detach",
        "--name",
        FLOOR_DB,
        "--volume",
        "mysql-data:/var/lib/mysql",
    ]
    for item in env:
        argv += ["--env", item]
    in_server(name, *argv, DB_IMAGE, *DB_ARGS)
    wait_until(
        lambda: (
            in_server(name, "docker", "exec", FLOOR_DB, "healthcheck.sh", check=False).returncode
            == 0
        ),
        f"{name}: the database answers",
        timeout=180,
    )


def floor_steps(name: str) -> list[tuple[str, str, Callable[[], object]]]:
    """(step, command as shown in the report, action) of the floor on server `name`."""
    packages = " ".join(FLOOR_PACKAGES)
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *FLOOR_PACKAGES]
    config = f"mkdir -p /etc/docker && echo {shlex.quote(daemon_json())} > /etc/docker/daemon.json"

    def restart() -> None:
        in_server(name, "sh", "-c", config)
        in_server(name, "systemctl", "restart", "docker")
        wait_until(lambda: engine_answers(name), f"{name}: dockerd answers", timeout=60)

    def pull() -> None:
        docker_login(name)
        in_server(name, "docker", "pull", "--quiet", DB_IMAGE)
        in_server(name, "docker", "pull", "--quiet", BLOG_IMAGE)

    return [
        ("package index", "apt-get update", lambda: in_server(name, "apt-get", "update", "-q")),
        (
            "packages, one apt-get install",
            f"apt-get install --no-install-recommends {packages}",
            lambda: in_server(name, "env", "DEBIAN_FRONTEND=noninteractive", *install),
        ),
        (
            "daemon.json (insecure-registries), restart dockerd until it answers",
            "systemctl restart docker",
            restart,
        ),
        (
            "login, pull the database and blog images",
            f"docker login; docker pull {DB_IMAGE}; docker pull {BLOG_IMAGE}",
            pull,
        ),
        (
            "first start of the database until it answers",
            f"docker run -d ... {DB_IMAGE}; healthcheck.sh (mysqladmin ping)",
            lambda: start_database(name),
        ),
    ]


def measure_floor(repetition: int) -> tuple[FloorRun, str, str]:
    """The floor on one fresh server; (its steps, the server's Debian, its engine version)."""
    with bench_servers([FLOOR_SERVER]):
        steps: list[tuple[str, str, float]] = []
        for step, command, action in floor_steps(FLOOR_SERVER):
            seconds = timed(action)
            log(f"floor {repetition}: {step}: {seconds:.1f}s")
            steps.append((step, command, seconds))
        debian = in_server(FLOOR_SERVER, "cat", "/etc/debian_version").stdout.strip()
        fmt = "{{.Server.Version}}"
        version = in_server(FLOOR_SERVER, "docker", "version", "--format", fmt).stdout.strip()
    return FloorRun(tuple(steps)), debian, version


def ansible_versions() -> tuple[str, str]:
    core = run([venv_bin("ansible-playbook"), "--version"]).stdout
    galaxy = [venv_bin("ansible-galaxy"), "collection", "list", "community.docker"]
    collections = run([*galaxy, "--format", "json"], check=False).stdout
    return parse_core_version(core), parse_collection_version(collections, "community.docker")


def prepare() -> None:
    """What demo-up prepares: engine, server images, registries and the images they serve."""
    engine.ensure_engine()
    images.ensure_servers(["bookworm", SUITE])
    images.ensure_busybox()
    stack.ensure_stack()


def _terminate(signum: int, _frame: object) -> None:
    """SIGTERM unwinds like Ctrl-C, so the servers are removed on the way out."""
    raise SystemExit(128 + signum)


def bench(
    sizes: Sequence[int],
    repeat: int,
    output: Path,
    connections: Sequence[str] = CONNECTIONS,
) -> Path:
    """Measure every fleet size `repeat` times over each connection, and the floor; write
    the report to output."""
    sizes = list(dict.fromkeys(sizes))
    connections = list(dict.fromkeys(connections))
    if repeat < 1 or not sizes or min(sizes) < 1:
        raise LabError("bench needs --repeat >= 1 and fleet sizes >= 1")
    if not connections or set(connections) - set(CONNECTIONS):
        raise LabError(f"bench connections are {', '.join(CONNECTIONS)}")
    signal.signal(signal.SIGTERM, _terminate)
    started, clock = datetime.now(UTC), time.monotonic()
    load = os.getloadavg()[0]
    prepare()
    core, docker_collection = ansible_versions()
    floors: list[FloorRun] = []
    debian = version = "unknown"
    for repetition in range(1, repeat + 1):
        floor, debian, version = measure_floor(repetition)
        floors.append(floor)
    fleets = {
        connection: {
            size: [measure_fleet(size, rep, connection) for rep in range(1, repeat + 1)]
            for size in sizes
        }
        for connection in connections
    }
    machine = Machine(
        cores=os.cpu_count() or 0,
        memory_kib=parse_meminfo(Path("/proc/meminfo").read_text()),
        load=load,
        ansible_core=core,
        community_docker=docker_collection,
        debian=debian,
        engine=version,
    )
    report = Report(
        bench_command(sizes, repeat, output, connections),
        started,
        time.monotonic() - clock,
        machine,
        fleets,
        floors,
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(report))
    log(f"wrote {output}")
    return output
