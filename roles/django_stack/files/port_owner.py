#!/usr/bin/env python3
"""Print, as JSON, the processes listening on TCP ports of this host's network namespace.

    port_owner.py 8000 443  ->  [{"port": 8000, "pid": 812, "name": "python3", "family": "IPv4"}]

Reads /proc only (no ss, lsof or fuser): the listening sockets of /proc/net/tcp and tcp6,
then which process holds each socket's inode. django_stack runs it only on a minimal host
that has neither ss nor netstat; elsewhere community.general.listen_ports_facts answers,
read by the port_listeners filter into the same shape.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

LISTEN = "0A"


def listening_inodes(port: int, proc: Path = Path("/proc")) -> dict[str, str]:
    """Socket inode -> address family, for every socket listening on `port`."""
    found: dict[str, str] = {}
    for table, family in (("tcp", "IPv4"), ("tcp6", "IPv6")):
        path = proc / "net" / table
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if fields[3] == LISTEN and local_port == port and fields[9] != "0":
                found[fields[9]] = family
    return found


def socket_links(process: Path) -> list[str]:
    """The socket:[inode] targets of a process's open files (none when it cannot be read)."""
    links: list[str] = []
    try:
        descriptors = list((process / "fd").iterdir())
    except OSError:  # gone, or not ours to read
        return links
    for descriptor in descriptors:
        try:
            target = descriptor.readlink().name
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            links.append(target)
    return links


def owners(port: int, proc: Path = Path("/proc")) -> list[dict[str, object]]:
    """The processes holding a socket that listens on `port`, sorted by pid."""
    inodes = listening_inodes(port, proc)
    result: list[dict[str, object]] = []
    if not inodes:
        return result
    for process in proc.iterdir():
        if not process.name.isdigit():
            continue
        held = {link.removeprefix("socket:[").removesuffix("]") for link in socket_links(process)}
        if held & inodes.keys():
            try:
                name = (process / "comm").read_text().strip()
            except OSError:  # gone meanwhile
                continue
            family = inodes[min(held & inodes.keys())]
            result.append({"pid": int(process.name), "name": name, "family": family})
    return sorted(result, key=lambda owner: int(str(owner["pid"])))


def listeners(ports: list[int], proc: Path = Path("/proc")) -> list[dict[str, object]]:
    """The owners of every port, each entry naming its port, sorted by port and pid."""
    return [{"port": port, **owner} for port in sorted(set(ports)) for owner in owners(port, proc)]


if __name__ == "__main__":
    json.dump(listeners([int(arg) for arg in sys.argv[1:]]), sys.stdout)
