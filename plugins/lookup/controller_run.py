"""lookup('dockyard_blog.hosts.controller_run'): this run of ansible-playbook."""

from __future__ import annotations

DOCUMENTATION = """
name: controller_run
short_description: This run of ansible-playbook, as a lock's holder names it
description:
  - Returns a dictionary with the controller's host name (C(controller)), the process id of
    the ansible-playbook process (C(pid)) and its start time in clock ticks since boot
    (C(started), empty where /proc does not say).
  - The deploy_lock module writes it into the lock, so that a later run on the same
    controller can tell a lock whose run has ended (lock_holder_gone).
version_added: 3.0.0
author: dockyard developers (!UNKNOWN)
"""

EXAMPLES = """
holder: "{{ lookup('dockyard_blog.hosts.controller_run') | combine({'operation': 'deploy'}) }}"
"""

RETURN = """
_raw:
  description: The run - controller, pid and started.
  type: list
  elements: dict
"""

from typing import Any

from ansible.plugins.lookup import LookupBase
from ansible_collections.dockyard_blog.hosts.plugins.module_utils.playbook_run import this_run


class LookupModule(LookupBase):  # type: ignore[misc]
    """lookup('controller_run') -> this run."""

    def run(self, terms: list[Any], variables: Any = None, **kwargs: Any) -> list[dict[str, Any]]:  # noqa: ANN401
        """This run; takes no terms."""
        return [this_run()]
