"""playbook_run: a lock's holder is taken for gone only when its run has ended here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from playbook_run import holder_gone, process_alive, process_started, this_run

RUN = {"controller": "laptop", "pid": 100, "started": "5000"}


def never(pid: int) -> bool:
    return False


def always(pid: int) -> bool:
    return True


def test_a_run_of_this_controller_whose_process_is_gone_has_ended() -> None:
    holder = {"controller": "laptop", "pid": 42, "started": "4000"}
    assert holder_gone(holder, RUN, alive=never) is True


def test_a_live_process_with_the_holders_start_time_still_holds() -> None:
    holder = {"controller": "laptop", "pid": 42, "started": "4000"}
    assert holder_gone(holder, RUN, alive=always, started=lambda pid: "4000") is False


def test_a_reused_pid_is_another_process() -> None:
    holder = {"controller": "laptop", "pid": 42, "started": "4000"}
    assert holder_gone(holder, RUN, alive=always, started=lambda pid: "4999") is True
    # Where the start time cannot be read, a live pid is taken as the holder's.
    assert holder_gone(holder, RUN, alive=always, started=lambda pid: "") is False


def test_another_controller_or_no_pid_is_never_taken_for_gone() -> None:
    assert holder_gone({"controller": "ci", "pid": 42}, RUN, alive=never) is False
    assert holder_gone({"controller": "laptop"}, RUN, alive=never) is False
    assert holder_gone({"controller": "laptop", "pid": "x"}, RUN, alive=never) is False
    assert holder_gone({}, RUN, alive=never) is False
    assert holder_gone({"controller": "laptop", "pid": 100}, RUN, alive=never) is False


def test_processes_are_read_from_proc(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert process_alive(child.pid)
        assert process_started(child.pid).isdigit()
    finally:
        child.kill()
        child.wait()
    assert not process_alive(child.pid)
    assert process_started(child.pid) == ""
    fake = tmp_path / "7"
    fake.mkdir()
    (fake / "stat").write_text("7 (a (b) c) S " + " ".join(str(n) for n in range(4, 60)) + "\n")
    assert process_started(7, proc=tmp_path) == "22"


def test_this_run_names_the_controller_and_a_live_process() -> None:
    run = this_run()
    assert run["controller"] and process_alive(run["pid"])
    assert run["started"] == process_started(run["pid"])
