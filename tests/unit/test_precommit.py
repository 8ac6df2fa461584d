"""The pre-commit configuration: valid, and running exactly the Makefile's linters."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".pre-commit-config.yaml"


def test_pre_commit_accepts_the_configuration() -> None:
    pre_commit = Path(sys.executable).parent / "pre-commit"
    out = subprocess.run(
        [str(pre_commit), "validate-config", str(CONFIG)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_hooks_are_the_makefiles_linters() -> None:
    hooks = [hook for repo in yaml.safe_load(CONFIG.read_text())["repos"] for hook in repo["hooks"]]
    linters = re.search(r"^LINTERS := (.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert linters is not None
    assert [hook["id"] for hook in hooks] == linters.group(1).split()
    for hook in hooks:
        assert hook["entry"] == f"make --no-print-directory {hook['id']}"
