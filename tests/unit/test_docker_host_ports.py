"""docker_host: who listens on a port, read from /proc (django_stack's port check)."""

from __future__ import annotations

import os
import socket

import pytest
from docker_host import listeners, listening_inodes, owners


@pytest.fixture
def listener() -> socket.socket:
    """A socket of this process listening on a free port of 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock


def test_this_process_is_found_listening(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    assert {"pid": os.getpid(), "family": "IPv4"}.items() <= owners(port)[0].items()


def test_a_free_port_has_no_owner(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    listener.close()
    assert owners(port) == []


def test_a_connected_but_not_listening_socket_is_not_an_owner(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    with socket.create_connection(("127.0.0.1", port)) as client:
        assert listening_inodes(client.getsockname()[1]) == {}


def test_every_port_asked_is_listed_by_port_then_pid(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        second = other.getsockname()[1]
        found = listeners([second, port, 1])
    assert [entry["port"] for entry in found] == sorted([port, second])
    assert {entry["pid"] for entry in found} == {os.getpid()}
    assert all(entry["family"] == "IPv4" and entry["name"] for entry in found)
