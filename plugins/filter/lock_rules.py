"""Whether the run holding a blog server's lock has ended (module_utils/playbook_run.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ansible_collections.dockyard_blog.hosts.plugins.module_utils.playbook_run import (
    holder_gone,
    this_run,
)


def lock_holder_gone(holder: Mapping[str, Any] | None) -> bool:
    """True when the holder is a run of this controller that has ended."""
    return bool(holder_gone(holder or {}, this_run()))


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"lock_holder_gone": lock_holder_gone}
