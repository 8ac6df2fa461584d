"""Who listens on the blog's ports, from community.general.listen_ports_facts.

django_stack refuses a deploy whose web port (or the HTTPS front's ports) another process
holds. Where the host has ss or netstat (iproute2 or net-tools: every full distribution),
listen_ports_facts lists every listening socket in one module run; this filter keeps the
TCP ones on the given ports, one entry per process and port, in the shape files/port_owner.py
prints on a minimal host that has neither (it reads /proc).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any


def port_listeners(
    tcp_listen: Iterable[Mapping[str, Any]], ports: Iterable[int]
) -> list[dict[str, Any]]:
    """[{port, pid, name, family}] of the listeners on `ports`, sorted by port and pid."""
    wanted = {int(port) for port in ports}
    found: dict[tuple[int, int], dict[str, Any]] = {}
    for entry in tcp_listen:
        port, pid = int(entry.get("port", 0)), int(entry.get("pid") or 0)
        if port not in wanted:
            continue
        family = "IPv6" if ":" in str(entry.get("address", "")) else "IPv4"
        # ss lists a socket once per address (and per process sharing it): one entry each.
        found.setdefault(
            (port, pid),
            {"port": port, "pid": pid, "name": str(entry.get("name", "")), "family": family},
        )
    return [found[key] for key in sorted(found)]


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"port_listeners": port_listeners}
