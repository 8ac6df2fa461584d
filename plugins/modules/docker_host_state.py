"""What already runs on a blog server: containers, the database volume, ports, the engine.

django_stack reads it once before a deploy changes anything, and decides from it: who is
in the way, what to retire, whether the database runs and on which image, whether a restore
was cut off, who listens on the blog's ports. The logic lives in module_utils/docker_host.py.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: docker_host_state
short_description: Read what runs on a blog server before a deploy changes anything
description:
  - Reads the host's containers (C(docker ps), C(docker inspect)), the database volume, the
    Engine API version, the engine's data root and its free space, the image a database
    reference names now, the record an unfinished restore left, and the processes listening
    on given TCP ports (from /proc). Needs the Docker CLI, not the Python SDK.
  - Changes nothing; runs in check mode too. A daemon that does not answer is reported, not
    an error (RV(answering) is false).
version_added: 3.0.0
author: dockyard developers (!UNKNOWN)
options:
  project:
    description: The Compose project (or swarm stack) whose containers are the blog's own.
    type: str
    required: true
  volume:
    description: The database volume.
    type: str
    required: true
  ports:
    description: The TCP ports the blog publishes.
    type: list
    elements: int
    required: true
  retire_containers:
    description: Containers to retire (an earlier setup's, by name).
    type: list
    elements: str
    default: []
  retire_project:
    description: A Compose project whose containers are to retire.
    type: str
    default: ""
  restore_record:
    description: Where a restore leaves its record while it runs.
    type: path
  db_image:
    description: The database's image reference, to name the image id it points to now.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Read what runs on the host
  dockyard_blog.hosts.docker_host_state:
    project: blog
    volume: mysql-data
    ports: [8000]
    retire_containers: [mysql, django]
    restore_record: /opt/blog/restore-unfinished.json
    db_image: mysql:8.4
  register: host_state
"""

RETURN = r"""
answering:
  description: Whether the Docker daemon answered; when false only RV(error),
    RV(restore_unfinished) and RV(listeners) are returned.
  returned: always
  type: bool
ours:
  description: Names of the project's containers, one-off ones included.
  returned: when answering
  type: list
  elements: str
db:
  description: The project's running database container (short id), empty when none.
  returned: when answering
  type: str
db_image_id:
  description: The image id the project's database container runs, empty when none.
  returned: when answering
  type: str
db_image_wanted:
  description: The image id O(db_image) names on the host now, empty when it is not there.
  returned: when answering
  type: str
web:
  description: >-
    The project's web containers (id, name, running, health, and Compose's config-hash
    label): a deploy behind a front starts the new one beside the one running.
  returned: when answering
  type: list
  elements: dict
front:
  description: The project's running front containers (name and Compose's config-hash label).
  returned: when answering
  type: list
  elements: dict
ready:
  description: Services whose every container runs, healthy or without a health check.
  returned: when answering
  type: list
  elements: str
running:
  description: Services with a running container.
  returned: when answering
  type: list
  elements: str
oneoff:
  description: The project's one-off (compose run) containers, with C(name), C(running) and
    C(started).
  returned: when answering
  type: list
  elements: dict
publishing:
  description: Running containers that publish one of O(ports).
  returned: when answering
  type: list
  elements: str
retire:
  description: Containers to retire, with what of the blog's they hold.
  returned: when answering
  type: list
  elements: dict
retire_db:
  description: The retired container that runs the database to take over.
  returned: when answering
  type: str
blocking:
  description: Other containers that hold one of O(ports) or O(volume).
  returned: when answering
  type: list
  elements: dict
volume:
  description: C(name), C(exists), and the C(project) that made it.
  returned: when answering
  type: dict
engine_api:
  description: The daemon's Engine API version.
  returned: when answering
  type: str
docker_root:
  description: The engine's data root C(path) and C(free_mb) there (-1 when unreadable).
  returned: when answering
  type: dict
restore_unfinished:
  description: The record an unfinished restore left, empty when none.
  returned: always
  type: dict
listeners:
  description: Processes listening on O(ports), each with C(port), C(pid), C(name), C(family).
  returned: always
  type: list
  elements: dict
error:
  description: What the Docker CLI said when the daemon did not answer.
  returned: when not answering
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.dockyard_blog.hosts.plugins.module_utils.docker_host import read_state


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "project": {"type": "str", "required": True},
            "volume": {"type": "str", "required": True},
            "ports": {"type": "list", "elements": "int", "required": True},
            "retire_containers": {"type": "list", "elements": "str", "default": []},
            "retire_project": {"type": "str", "default": ""},
            "restore_record": {"type": "path"},
            "db_image": {"type": "str", "default": ""},
        },
        supports_check_mode=True,
    )
    params = module.params
    try:
        state = read_state(
            project=params["project"],
            volume=params["volume"],
            ports=params["ports"],
            retire_containers=params["retire_containers"],
            retire_project=params["retire_project"],
            restore_record_path=params["restore_record"] or "",
            db_image=params["db_image"],
        )
    except RuntimeError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **state)


if __name__ == "__main__":
    main()
