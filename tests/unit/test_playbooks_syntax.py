"""site.yml and every entry playbook parse against every environment's inventory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
ENVIRONMENTS = sorted(p.name for p in (ROOT / "inventory").iterdir() if p.is_dir())
PLAYBOOKS = ["site.yml", *sorted(f"playbooks/{p.name}" for p in (ROOT / "playbooks").glob("*.yml"))]


def test_every_environment_and_playbook_is_listed() -> None:
    assert ENVIRONMENTS == ["lab", "production", "staging", "swarm"]
    assert {"playbooks/preflight.yml", "playbooks/docker_hosts.yml", "playbooks/app.yml"} <= set(
        PLAYBOOKS
    )


@pytest.mark.parametrize("playbook", PLAYBOOKS)
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_syntax_check_passes(env: str, playbook: str) -> None:
    out = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "--syntax-check", "-i", f"inventory/{env}", playbook],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"playbook: {playbook}" in out.stdout
