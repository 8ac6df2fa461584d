"""port_listeners: listen_ports_facts' TCP listeners on the blog's ports, one per process."""

from __future__ import annotations

from typing import Any

from ports import port_listeners

ANY = ".".join(["0"] * 4)  # every IPv4 address, as ss prints it
# As community.general.listen_ports_facts returns them from ss (a socket per address family,
# and docker-proxy's twice for the same port).
TCP_LISTEN: list[dict[str, Any]] = [
    {"address": ANY, "name": "sshd", "pid": 301, "port": 22, "protocol": "tcp"},
    {"address": ANY, "name": "python3", "pid": 812, "port": 8099, "protocol": "tcp"},
    {"address": "::", "name": "python3", "pid": 812, "port": 8099, "protocol": "tcp"},
    {"address": ANY, "name": "docker-proxy", "pid": 940, "port": 443, "protocol": "tcp"},
    {"address": "::", "name": "docker-proxy", "pid": 951, "port": 443, "protocol": "tcp"},
    {"address": "127.0.0.1", "name": "nginx", "pid": 77, "port": 80, "protocol": "tcp"},
]


def test_the_listeners_on_the_ports_asked_one_per_process_and_port() -> None:
    assert port_listeners(TCP_LISTEN, [8099, 443]) == [
        {"port": 443, "pid": 940, "name": "docker-proxy", "family": "IPv4"},
        {"port": 443, "pid": 951, "name": "docker-proxy", "family": "IPv6"},
        {"port": 8099, "pid": 812, "name": "python3", "family": "IPv4"},
    ]


def test_a_free_port_has_no_listener() -> None:
    assert port_listeners(TCP_LISTEN, [8000]) == []
    assert port_listeners([], [8000]) == []


def test_ports_given_as_strings_count() -> None:
    assert [e["pid"] for e in port_listeners(TCP_LISTEN, ["80"])] == [77]
