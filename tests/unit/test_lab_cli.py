"""The lab's command line runs on a bare server: the standard library only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_lab_cli_loads_without_site_packages() -> None:
    # -S leaves site-packages (the venv's PyYAML, docker SDK...) off the path, as on a
    # server where host-deps runs `python3 -m dockyard_lab` before any venv exists.
    env = {**os.environ, "PYTHONPATH": str(ROOT / "lab")}
    out = subprocess.run(
        [sys.executable, "-S", "-m", "dockyard_lab", "--help"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "host-deps" in out.stdout


def test_yaml_is_not_importable_under_dash_s() -> None:
    # The test above proves something only if -S really hides the venv's packages.
    out = subprocess.run(
        [sys.executable, "-S", "-c", "import yaml"], capture_output=True, check=False
    )
    assert out.returncode != 0
