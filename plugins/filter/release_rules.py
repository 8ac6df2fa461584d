"""A release record as one line of playbooks/releases.yml's list."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def release_line(release: Mapping[str, Any], current: str = "") -> str:
    """`<id> [current] <image> (<short id>), <n> migrations, dump <file>`."""
    marker = " (current)" if release.get("id") == current else ""
    image_id = str(release.get("web_image_id") or "")
    short = image_id.split(":", 1)[-1][:12] if image_id else "unknown id"
    migrations = release.get("migrations") or []
    applied = f"{len(migrations)} migration{'' if len(migrations) == 1 else 's'} applied"
    dump = release.get("dump") or ""
    return (
        f"{release.get('id', '?')}{marker}: {release.get('web_image') or '?'} ({short}), "
        f"{applied}, {'dump before it: ' + str(dump) if dump else 'no dump before it'}"
    )


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"release_line": release_line}
