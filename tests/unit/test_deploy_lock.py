"""deploy_lock: one run at a time holds the blog's lock on a host."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from deploy_lock import hold, read_lock, release


def params(path: Path, **changes: object) -> dict[str, Any]:
    base: dict[str, Any] = {
        "path": str(path),
        "holder": {"user": "alice", "controller": "laptop", "operation": "deploy"},
        "wait": 0,
        "break_lock": False,
        "busy": "fail",
        "token": None,
    }
    return {**base, **changes}


def test_a_free_lock_is_taken_and_given_back(tmp_path: Path) -> None:
    lock = tmp_path / "opt/blog/deploy.lock"
    taken = hold(params(lock), check=False)
    assert taken["changed"] is False and "failed" not in taken
    assert len(taken["token"]) == 32
    written = json.loads(lock.read_text())
    assert written["token"] == taken["token"] and written["holder"]["user"] == "alice"
    assert written["since"] == taken["since"]
    assert lock.stat().st_mode & 0o777 == 0o600
    assert lock.parent.stat().st_mode & 0o777 == 0o750
    given = release(params(lock, token=taken["token"]), check=False)
    assert given["changed"] is False and not lock.exists()


def test_a_held_lock_stops_the_second_run_naming_the_holder(tmp_path: Path) -> None:
    lock = tmp_path / "deploy.lock"
    first = hold(params(lock), check=False)
    second = hold(params(lock, holder={"user": "bob"}), check=False)
    assert second["failed"] is True
    assert "alice" in second["msg"] and first["since"] in second["msg"]
    assert "django_stack_lock_break=true" in second["msg"]
    assert second["token"] == ""
    assert json.loads(lock.read_text())["token"] == first["token"], "the first run's lock kept"


def test_the_second_run_waits_until_the_first_gives_the_lock_back(tmp_path: Path) -> None:
    lock = tmp_path / "deploy.lock"
    first = hold(params(lock), check=False)
    naps: list[float] = []

    def nap(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) == 2:
            release(params(lock, token=first["token"]), check=False)

    second = hold(params(lock, holder={"user": "bob"}, wait=30), check=False, sleep=nap)
    assert "failed" not in second and len(naps) == 2
    assert json.loads(lock.read_text())["holder"] == {"user": "bob"}


def test_only_one_of_many_concurrent_runs_takes_the_lock(tmp_path: Path) -> None:
    lock = tmp_path / "deploy.lock"
    results: list[dict[str, Any]] = []
    start = threading.Barrier(8)

    def run() -> None:
        start.wait()
        results.append(hold(params(lock), check=False))

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [r for r in results if "failed" not in r]
    assert len(winners) == 1
    assert json.loads(lock.read_text())["token"] == winners[0]["token"]


def test_another_runs_lock_is_not_given_back(tmp_path: Path) -> None:
    lock = tmp_path / "deploy.lock"
    hold(params(lock), check=False)
    given = release(params(lock, token="0" * 32), check=False)
    assert lock.exists()
    assert "left in place" in given["warnings"][0]


def test_breaking_a_left_lock_is_a_change_and_names_it(tmp_path: Path) -> None:
    lock = tmp_path / "deploy.lock"
    left = hold(params(lock), check=False)
    taken = hold(params(lock, break_lock=True, holder={"user": "bob"}), check=False)
    assert taken["changed"] is True
    assert taken["broken"]["token"] == left["token"]
    assert json.loads(lock.read_text())["token"] == taken["token"]


def test_a_lock_cut_off_while_written_reads_as_an_unknown_holder(tmp_path: Path) -> None:
    lock = tmp_path / "deploy.lock"
    lock.write_text('{"tok')
    os.utime(lock, (0, 0))
    found = read_lock(lock)
    assert found == {"token": "", "holder": {}, "since": "1970-01-01T00:00:00+00:00"}
    second = hold(params(lock), check=False)
    assert "an unknown run, since 1970-01-01T00:00:00+00:00" in second["msg"]


def test_check_mode_takes_nothing_and_warns_of_a_held_lock(tmp_path: Path) -> None:
    lock = tmp_path / "deploy.lock"
    assert hold(params(lock), check=True) == {
        "changed": False, "token": "", "held_by": None, "broken": None,
    }  # fmt: skip
    assert not lock.exists() and not lock.parent.joinpath("x").exists()
    first = hold(params(lock), check=False)
    dry = hold(params(lock), check=True)
    assert "alice" in dry["warnings"][0] and dry["held_by"]["token"] == first["token"]
    assert release(params(lock, token=first["token"]), check=True)["changed"] is False
    assert lock.exists()


def test_a_held_lock_can_be_reported_without_failing(tmp_path: Path) -> None:
    lock = tmp_path / "deploy.lock"
    first = hold(params(lock), check=False)
    asked = hold(params(lock, busy="report"), check=False)
    assert "failed" not in asked and asked["token"] == ""
    assert asked["held_by"]["token"] == first["token"]
