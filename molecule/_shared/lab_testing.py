"""Helpers for the scenarios' testinfra verifiers: re-running playbooks, reading hosts."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from testinfra.host import Host


def ansible_playbook(
    playbook: str,
    *,
    limit: str,
    extra_vars: dict[str, Any] | None = None,
    args: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run a playbook of the scenario against its inventory; stdout holds all output."""
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
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"}
    return subprocess.run(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False, env=env
    )


def host_file_digest(host: Host, path: str) -> str:
    """sha256 of a file on the host, or 'absent'."""
    out = host.run(f"sha256sum {path}")
    return out.stdout.split()[0] if out.rc == 0 else "absent"
