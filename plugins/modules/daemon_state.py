"""What the docker_daemon role reads of a host before it changes anything, in one run.

The role read it in seven module runs (a stat and a read of each configuration file,
systemd's view of the unit, `docker info`, `dockerd --version`), each one a Python start
on the host. One run returns the same, and changes nothing.

Runs on the managed host: Python 3.8 and newer, standard library and Ansible only.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: daemon_state
short_description: Read the Docker daemon's configuration files, unit and running state
description:
  - Reads the daemon's configuration file and the legacy defaults file (C(DOCKER_OPTS)),
    systemd's view of the unit, what the running daemon reports (C(docker info)) and the
    installed engine's version. Changes nothing; runs in check mode too.
version_added: 0.8.0
author: dockyard developers (!UNKNOWN)
options:
  config_path:
    description: The daemon's configuration file (daemon.json).
    type: path
    required: true
  default_file:
    description: The legacy defaults file that may set DOCKER_OPTS.
    type: path
    required: true
  unit:
    description: The systemd unit of the daemon.
    type: str
    default: docker
  paths:
    description: Paths whose absence to report in RV(missing) (a program the unit runs, say).
    type: list
    elements: path
    default: []
"""

EXAMPLES = r"""
- name: Read the current state of the daemon
  dockyard_blog.hosts.daemon_state:
    config_path: /etc/docker/daemon.json
    default_file: /etc/default/docker
    paths: [/bin/kill]
  register: daemon
"""

RETURN = r"""
config:
  description: The configuration file; C(exists) is true for a link (even a dangling one).
  returned: always
  type: dict
  sample: {"exists": true, "content": "{\"live-restore\": true}\n"}
default_file:
  description: The defaults file, as O(config_path).
  returned: always
  type: dict
unit_show:
  description: What C(systemctl show) prints of the unit's ExecStart, EnvironmentFiles,
    MainPID, ActiveState and FragmentPath.
  returned: always
  type: str
info:
  description: C(docker info --format '{{json .}}'); rc is not 0 when no daemon answers.
  returned: always
  type: dict
  sample: {"rc": 0, "stdout": "{...}", "stderr": ""}
dockerd_version:
  description: What C(dockerd --version) prints.
  returned: always
  type: str
missing:
  description: The paths of O(paths) that do not exist.
  returned: always
  type: list
  elements: str
"""

from pathlib import Path
from typing import Any

from ansible.module_utils.basic import AnsibleModule

UNIT_PROPERTIES = ("ExecStart", "EnvironmentFiles", "MainPID", "ActiveState", "FragmentPath")


def read_file(path: Path) -> dict[str, Any]:
    """exists as the stat module says it (a link counts), and the text when it can be read."""
    if not (path.exists() or path.is_symlink()):
        return {"exists": False, "content": None}
    return {"exists": True, "content": path.read_bytes().decode("utf-8", errors="replace")}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "config_path": {"type": "path", "required": True},
            "default_file": {"type": "path", "required": True},
            "unit": {"type": "str", "default": "docker"},
            "paths": {"type": "list", "elements": "path", "default": []},
        },
        supports_check_mode=True,
    )
    params = module.params
    try:
        config = read_file(Path(params["config_path"]))
        default_file = read_file(Path(params["default_file"]))
    except OSError as exc:
        module.fail_json(msg=f"Cannot read {exc.filename}: {exc.strerror}")
    show = ["systemctl", "show", params["unit"], *(f"--property={p}" for p in UNIT_PROPERTIES)]
    rc, unit_show, err = module.run_command(show)
    if rc != 0:
        module.fail_json(msg=f"systemctl show {params['unit']} failed: {err.strip()}", rc=rc)
    docker = module.get_bin_path("docker")
    if docker is None:  # no daemon can be asked: the same as one that does not answer
        info_rc, info_out, info_err = 127, "", "no docker command"
    else:
        info_rc, info_out, info_err = module.run_command([docker, "info", "--format", "{{json .}}"])
    rc, version, err = module.run_command(["dockerd", "--version"])
    if rc != 0:
        module.fail_json(msg=f"dockerd --version failed: {err.strip()}", rc=rc)
    module.exit_json(
        changed=False,
        config=config,
        default_file=default_file,
        unit_show=unit_show.strip(),
        info={"rc": info_rc, "stdout": info_out.strip(), "stderr": info_err.strip()},
        dockerd_version=version.strip(),
        missing=[path for path in params["paths"] if not Path(path).exists()],
    )


if __name__ == "__main__":
    main()
