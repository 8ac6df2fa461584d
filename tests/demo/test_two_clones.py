"""`make demo` in two clones in turn, and again after `rm -rf .lab`: each ends with the blog
answering (issue #17).

What a user does, with nothing but make: this checkout is the first clone, a `git clone`
of it (its committed HEAD) the second. Each demo's secrets are its clone's (`.lab/secrets`),
so the second demo finds servers deployed with other secrets, says so and replaces them.
A demo replaces the shared lab services too (their mounts are in its clone), so this runs
after the Molecule scenarios, never beside them; at the end the services are this
checkout's again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from dockyard_lab.demo import DEMO_SERVERS, OWNER_LABEL, secrets_owner
from dockyard_lab.services import container_label

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / ".lab" / "logs"
REPLACED = "holds a demo deployed with other secrets"


OURS = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PYTHONPATH", "VIRTUAL_ENV"}


def user_env() -> dict[str, str]:
    """A login shell's environment: no make of ours around, no venv of this checkout."""
    env = {key: value for key, value in os.environ.items() if key not in OURS}
    ours = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != ours)
    return env


def make_demo(clone: Path, log_name: str) -> str:
    """`make demo` in clone; its output, also kept in .lab/logs/<log_name>.log."""
    LOGS.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        ["make", "demo"], cwd=clone, env=user_env(), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False,
    )  # fmt: skip
    (LOGS / f"{log_name}.log").write_text(proc.stdout)
    tail = "\n".join(proc.stdout.splitlines()[-40:])
    assert proc.returncode == 0, f"make demo in {clone} failed:\n{tail}"
    return proc.stdout


def server_ids() -> list[str]:
    names = [name for name, _ in DEMO_SERVERS]
    out = subprocess.run(["docker", "inspect", "--format", "{{.Id}}", *names],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return out.stdout.split()


def assert_blog_of(clone: Path) -> None:
    """Both servers carry the clone's owner label and answer with the blog."""
    owner = secrets_owner(clone / ".lab")
    for name, port in DEMO_SERVERS:
        assert container_label(name, OWNER_LABEL) == owner, name
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as answer:
            assert answer.status == 200
            assert "<title>Dockyard blog</title>" in answer.read().decode()


@pytest.fixture
def second_clone(tmp_path: Path) -> Iterator[Path]:
    clone = tmp_path / "second-clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    try:
        yield clone
    finally:
        subprocess.run(["make", "demo-down"], cwd=clone, env=user_env(),
                       capture_output=True, check=False)  # fmt: skip
        # The registries and the index back on this checkout's mounts.
        env = {**os.environ, "PYTHONPATH": str(ROOT / "lab")}
        subprocess.run([sys.executable, "-m", "dockyard_lab", "stack"], cwd=ROOT, env=env,
                       capture_output=True, check=True)  # fmt: skip


def test_make_demo_in_two_clones_in_turn_and_after_removing_lab(second_clone: Path) -> None:
    make_demo(ROOT, "demo-first-clone")
    assert_blog_of(ROOT)
    first_ids = server_ids()

    out = make_demo(second_clone, "demo-second-clone")
    for name, _ in DEMO_SERVERS:
        assert f"{name} {REPLACED}" in out
    assert secrets_owner(second_clone / ".lab") != secrets_owner(ROOT / ".lab")
    assert set(server_ids()).isdisjoint(first_ids), "the servers were replaced, not reused"
    assert_blog_of(second_clone)
    second_ids = server_ids()

    owner_before = secrets_owner(second_clone / ".lab")
    subprocess.run(["rm", "-rf", str(second_clone / ".lab")], check=True)
    out = make_demo(second_clone, "demo-second-clone-lab-removed")
    assert all(f"{name} {REPLACED}" in out for name, _ in DEMO_SERVERS)
    assert secrets_owner(second_clone / ".lab") != owner_before
    assert set(server_ids()).isdisjoint(second_ids)
    assert_blog_of(second_clone)
