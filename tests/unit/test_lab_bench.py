"""The benchmark's pure parts: ansible output parsing, medians, verdicts, the report."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from dockyard_lab import bench
from dockyard_lab.bench import Converge, FloorRun, Machine, Report

ROOT = Path(__file__).resolve().parents[2]


def task(name: str, start: str, end: str, **hosts: dict[str, Any]) -> dict[str, Any]:
    """One task as ansible.posix's json callback writes it (ansible-core 2.19)."""
    return {
        "task": {"name": name, "id": "x", "duration": {"start": start, "end": end}},
        "hosts": hosts,
    }


def at(seconds: float) -> str:
    return f"2025-11-26T01:40:{seconds:09.6f}Z"


OK = {"changed": False, "action": "ansible.builtin.command"}
COLD_OUTPUT = json.dumps(
    {
        "custom_stats": {},
        "global_custom_stats": {},
        "plays": [
            {
                "play": {"name": "Check the inventory", "id": "p1"},
                "tasks": [
                    task("Check the docker_hosts and blog groups", at(0), at(0.05), localhost=OK),
                ],
            },
            {
                "play": {"name": "Turn the servers into Docker hosts", "id": "p2"},
                "tasks": [
                    task("Gathering Facts", at(0.05), at(12.55), **{"bench-1": OK, "bench-2": OK}),
                    task(
                        "docker_engine : Install the engine packages",
                        at(12.55),
                        at(40.96),
                        **{"bench-1": {**OK, "changed": True}},
                    ),
                    task("docker_daemon : Reload docker", at(41), at(43), **{"bench-1": OK}),
                    task("django_stack : Pull the web image", at(43), at(50.25), bench_1=OK),
                ],
            },
        ],
        "stats": {
            "bench-1": {"changed": 24, "failures": 0, "ok": 71, "skipped": 31, "unreachable": 0},
            "bench-2": {"changed": 23, "failures": 0, "ok": 70, "skipped": 32, "unreachable": 0},
        },
    }
)

RERUN_OUTPUT = json.dumps(
    {
        "plays": [],
        "stats": {
            "bench-1": {"changed": 0, "failures": 0, "ok": 60, "skipped": 40},
            "bench-2": {"changed": 2, "failures": 0, "ok": 59, "skipped": 41},
        },
    }
)


def test_the_recap_counts_per_host() -> None:
    recap = bench.parse_run(COLD_OUTPUT).recap
    assert set(recap) == {"bench-1", "bench-2"}
    assert recap["bench-1"]["ok"] == 71
    assert recap["bench-2"]["skipped"] == 32
    assert bench.changed_counts(bench.parse_run(RERUN_OUTPUT).recap) == {
        "bench-1": 0,
        "bench-2": 2,
    }


def test_output_that_is_not_the_callbacks_json_is_an_empty_run() -> None:
    assert bench.parse_run("ERROR! the playbook could not be found\n") == bench.Run({}, [], [])
    assert bench.parse_run("[]").recap == {}


def test_every_task_is_timed_from_its_start_to_its_end() -> None:
    times = dict(bench.parse_run(COLD_OUTPUT).tasks)
    assert len(times) == 5
    assert times["docker_engine : Install the engine packages"] == pytest.approx(28.41)
    assert times["Gathering Facts"] == pytest.approx(12.5)
    assert times["Check the docker_hosts and blog groups"] == pytest.approx(0.05)


def test_role_times_sum_per_role_prefix() -> None:
    roles = bench.role_times(COLD_OUTPUT)
    assert roles["docker_engine"] == pytest.approx(28.41)
    assert roles["django_stack"] == pytest.approx(7.25)
    assert roles["docker_daemon"] == pytest.approx(2.0)
    assert roles["(gathering facts)"] == pytest.approx(12.5)
    assert roles[bench.NO_ROLE] == pytest.approx(0.05)
    assert next(iter(roles)) == "docker_engine", "largest first"


UNDEFINED = "Task failed: 'django_stack_backup_dir' is undefined"
FAILED_OUTPUT = json.dumps(
    {
        "plays": [
            {
                "play": {"name": "Deploy the blog"},
                "tasks": [
                    task(
                        "django_stack : Create the backup directory",
                        at(1),
                        at(2),
                        **{
                            "bench-1": {
                                "failed": True,
                                "msg": UNDEFINED + "\nOrigin: x",
                            },
                            "bench-2": {"failed": True, "ignore_errors": True, "msg": "ignored"},
                        },
                    )
                ],
            }
        ],
        "stats": {"bench-1": {"changed": 10, "failures": 1, "ok": 67}},
    }
)


def test_failure_summary_names_the_failure_the_recap_and_ansibles_own_errors() -> None:
    summary = bench.failure_summary(FAILED_OUTPUT, "[WARNING]: x\nERROR! something else\n")
    lines = summary.splitlines()
    assert lines[0] == (
        "bench-1: django_stack : Create the backup directory: "
        "Task failed: 'django_stack_backup_dir' is undefined"
    )
    assert "ignored" not in summary, "a failure the play ignores is not the cause"
    assert "bench-1: changed=10 failures=1 ok=67" in lines
    assert lines[-1] == "ERROR! something else"
    assert "Origin:" not in summary


def test_role_of() -> None:
    assert bench.role_of("docker_daemon : Reload docker") == "docker_daemon"
    assert bench.role_of("Gathering Facts") == "(gathering facts)"
    assert bench.role_of("Check the inventory") == bench.NO_ROLE


def test_versions_and_memory_parse() -> None:
    assert bench.parse_core_version("ansible-playbook [core 2.19.14]\n  config file") == "2.19.14"
    galaxy = json.dumps({"/x/ansible_collections": {"community.docker": {"version": "4.8.5"}}})
    assert bench.parse_collection_version(galaxy, "community.docker") == "4.8.5"
    assert bench.parse_collection_version("", "community.docker") == "unknown"
    meminfo = "MemTotal:       24683656 kB\nMemFree:         1234 kB\n"
    assert bench.parse_meminfo(meminfo) == 24683656


def run_of(size: int, cold: float, rerun: float, **roles: float) -> Converge:
    changed = {f"bench-{i}": 0 for i in range(1, size + 1)}
    return Converge(size, cold, rerun, changed, dict(roles))


def floor_of(*seconds: float) -> FloorRun:
    return FloorRun(tuple((f"step {i}", f"cmd {i}", s) for i, s in enumerate(seconds)))


def test_medians() -> None:
    runs = [run_of(1, 100, 9, a=50, b=10), run_of(1, 300, 30, a=70), run_of(1, 200, 11, a=60)]
    assert bench.median_cold(runs) == 200
    assert bench.median_rerun(runs) == 11
    assert bench.median_roles(runs) == {"a": 60, "b": 0}, "a role missing from a run counts 0"
    floors = [floor_of(10, 20), floor_of(30, 10), floor_of(20, 40)]
    assert [s for _, _, s in bench.median_floor(floors)] == [20, 20]
    assert bench.median([]) is None


def by_target(found: list[bench.Verdict]) -> dict[str, bench.Verdict]:
    return {v.target: v for v in found}


def test_verdicts_met_and_not_met() -> None:
    fleets = {
        "ssh": {1: [run_of(1, 200, 9.5)], 8: [run_of(8, 601, 40)]},
        "docker": {1: [run_of(1, 211, 16)], 8: [run_of(8, 600, 48)]},
    }
    found = by_target(bench.verdicts(fleets, [floor_of(100, 40)]))
    ssh_seconds = found["re-run ≤ 10 s (1 server, ssh)"]
    assert (ssh_seconds.status, ssh_seconds.ratio) == ("met", 9.5)
    assert found["re-run ≤ 15 s (1 server, docker)"].status == "not met", "16 s"
    share = found["re-run ≤ 10% of the cold converge (1 server, ssh)"]
    assert share.status == "met"
    assert share.ratio == pytest.approx(0.0475)
    assert found["8 servers cold ≤ 3x 1 server cold (ssh)"].status == "not met", "601 > 3x 200"
    assert found["8 servers cold ≤ 3x 1 server cold (docker)"].status == "met", "600 ≤ 3x 211"
    assert found["8 servers re-run ≤ 3x 1 server re-run (ssh)"].status == "not met", "40 > 28.5"
    assert found["8 servers re-run ≤ 3x 1 server re-run (docker)"].status == "met", "48 = 3x 16"
    assert found["1 server cold ≤ 1.5x the floor (ssh)"].status == "met", "200 ≤ 1.5x 140"
    assert found["1 server cold ≤ 1.5x the floor (docker)"].status == "not met", "211 > 1.5x 140"


def test_missing_fleet_sizes_and_connections_are_not_measured() -> None:
    found = by_target(bench.verdicts({"docker": {1: [run_of(1, 200, 10)]}}, [floor_of(150)]))
    fleet = found["8 servers cold ≤ 3x 1 server cold (docker)"]
    assert fleet.status == "not measured"
    assert "8 was not in --servers" in fleet.missing
    ssh = found["re-run ≤ 10 s (1 server, ssh)"]
    assert (ssh.status, ssh.missing) == (
        "not measured",
        "the ssh connection was not in --connections",
    )
    assert found["re-run ≤ 15 s (1 server, docker)"].status == "met"
    found = by_target(bench.verdicts({"docker": {4: [run_of(4, 300, 20)]}}, [floor_of(150)]))
    docker = [v for v in found.values() if v.target.endswith("docker)")]
    assert {v.status for v in docker} == {"not measured"}
    assert "1 was not in --servers" in found["1 server cold ≤ 1.5x the floor (docker)"].missing


def test_not_idempotent_is_flagged() -> None:
    clean = bench.changed_cell({"bench-1": 0, "bench-2": 0})
    assert clean == "0"
    dirty = bench.changed_cell({"bench-1": 0, "bench-2": 2})
    assert "NOT IDEMPOTENT" in dirty
    assert "bench-2 changed=2" in dirty
    assert "bench-1" not in dirty
    assert "no PLAY RECAP" in bench.changed_cell({})
    assert not Converge(1, 1, 1, {}, {}).idempotent


def report_of(fleets: dict[str, dict[int, list[Converge]]]) -> str:
    machine = Machine(2, 24683656, 2.5, "2.19.14", "4.8.5", "13.1", "26.1.5")
    sizes = sorted({size for runs in fleets.values() for size in runs})
    command = bench.bench_command(sizes, 1, Path("docs/b.md"), list(fleets))
    started = datetime(2025, 11, 26, 1, 40, tzinfo=UTC)
    return bench.render(Report(command, started, 600, machine, fleets, [floor_of(60, 40)]))


def test_report() -> None:
    dirty = Converge(
        1,
        200,
        15,
        {"bench-1": 1},
        {"docker_engine": 120, "django_stack": 60},
        {"django_stack": 9, "docker_daemon": 3},
    )
    text = report_of({"ssh": {1: [dirty], 4: [run_of(4, 400, 30)]}})
    assert text.startswith("# Benchmarks\n")
    command = "python -m dockyard_lab bench --servers 1 4 --repeat 1 --connections ssh"
    assert f"`{command} --output docs/b.md`" in text
    assert "| CPU cores | 2 |" in text
    assert "23.5 GiB" in text
    assert "## Over SSH as deploy with become" in text
    assert "[testing.md, Speed](testing.md#speed)" in text
    assert "| 1 | 200.0 s | 15.0 s | **NOT IDEMPOTENT**: bench-1 changed=1 |" in text
    assert "### 4 servers, ssh" in text
    # Cold and re-run side by side; a role only one of them ran shows 0 in the other.
    assert "| docker_engine | 120.0 s | 67% | 0.0 s | 0% |" in text
    assert "| django_stack | 60.0 s | 33% | 9.0 s | 75% |" in text
    assert "| docker_daemon | 0.0 s | 0% | 3.0 s | 25% |" in text
    assert "| **sum** |  | 100.0 s |" in text
    assert "| 1 server cold ≤ 1.5x the floor (ssh) | 2.00x (200.0 s / 100.0 s) | not met |" in text
    assert "| re-run ≤ 10 s (1 server, ssh) | 15.0 s | not met |" in text
    assert "not measured: fleet size 8 was not in --servers" in text
    assert "not measured: the docker connection was not in --connections" in text
    assert (
        "| re-run ≤ 10% of the cold converge (1 server, ssh) | 7.5% (15.0 s / 200.0 s) | met |"
        in text
    )


def test_report_without_one_server_says_so() -> None:
    text = report_of({"docker": {4: [run_of(4, 400, 30)]}})
    assert "Not measured: fleet size 1 was not in --servers." in text
    assert "met |" not in text.replace("not measured |", "")


def inventory_listing(inventory: Path) -> dict[str, Any]:
    """What ansible-inventory makes of a generated bench inventory."""
    out = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(inventory), "--list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    listing: dict[str, Any] = json.loads(out)
    return listing


def test_generated_inventory_puts_the_fleet_in_the_pull_groups(tmp_path: Path) -> None:
    inventory = bench.write_inventory(tmp_path / "inventory", ["bench-1", "bench-2"], ROOT)
    bench.write_inventory(inventory, ["bench-1", "bench-2"], ROOT)  # rewriting works
    assert (inventory / "group_vars").resolve() == (ROOT / "inventory/lab/group_vars").resolve()
    listing = inventory_listing(inventory)
    for group in ("docker_hosts", "blog", "lab_pull"):
        assert listing[group]["hosts"] == ["bench-1", "bench-2"]
    assert "lab_build" not in listing or not listing["lab_build"].get("hosts")
    hostvars = listing["_meta"]["hostvars"]["bench-2"]
    assert hostvars["ansible_connection"] == "community.docker.docker"
    assert hostvars["dockyard_lab_root"] == str(ROOT)
    assert hostvars["django_stack_web_image_source"] == "pull"
    assert hostvars["docker_engine_source"] == "distro"


def test_the_ssh_inventory_reaches_each_server_as_deploy_with_become(tmp_path: Path) -> None:
    addresses = {"bench-1": "172.30.0.11", "bench-2": "172.30.0.12"}
    inventory = bench.write_inventory(
        tmp_path / "inventory", list(addresses), ROOT, addresses=addresses
    )
    listing = inventory_listing(inventory)
    assert listing["lab_pull"]["hosts"] == ["bench-1", "bench-2"]
    for name, address in addresses.items():
        hostvars = listing["_meta"]["hostvars"][name]
        assert hostvars["ansible_connection"] == "ssh"
        assert hostvars["ansible_host"] == address
        assert (hostvars["ansible_user"], hostvars["ansible_become"]) == ("deploy", True)
        assert hostvars["ansible_ssh_private_key_file"] == str(bench.SSH_KEY)
        assert hostvars["django_stack_web_image_source"] == "pull"


def load(path: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / path).read_text())
    return data


def test_the_floor_pulls_and_trusts_what_the_lab_inventory_names() -> None:
    lab = load("inventory/lab/group_vars/lab/main.yml")
    pull = load("inventory/lab/group_vars/lab_pull/main.yml")
    assert lab["django_stack_db_image"] == bench.DB_IMAGE
    assert f"{pull['django_stack_web_image']}:latest" == bench.BLOG_IMAGE
    assert list(bench.INSECURE_REGISTRIES) == lab["docker_daemon_insecure_registries"]
    assert json.loads(bench.daemon_json()) == {
        "insecure-registries": lab["docker_daemon_insecure_registries"]
    }


def test_the_floor_installs_what_the_roles_install() -> None:
    debian = load("roles/docker_engine/vars/main.yml")["__docker_engine_families"]["Debian"]
    assert debian["sdk_package"] in bench.FLOOR_PACKAGES
    assert "docker-cli" in debian["distro_packages"] and "docker.io" in debian["distro_packages"]
    assert {"docker.io", "docker-cli", "docker-compose", "procps"} <= set(bench.FLOOR_PACKAGES)


def test_playbook_argv_reports_through_the_json_callback_with_its_own_fact_cache() -> None:
    argv = bench.playbook_argv(Path("/x/inventory"))
    assert argv[0] == "env"
    assert "ANSIBLE_STDOUT_CALLBACK=ansible.posix.json" in argv
    # ansible.cfg's profile_tasks would print its recap into the JSON: only json is enabled.
    assert "ANSIBLE_CALLBACKS_ENABLED=ansible.posix.json" in argv
    assert f"ANSIBLE_CACHE_PLUGIN_CONNECTION={bench.FACTS_DIR}" in argv
    assert argv[-3:] == ["-i", "/x/inventory", "site.yml"]
