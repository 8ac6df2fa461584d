"""django_stack's port check: who listens on a port, read from /proc."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "roles/django_stack/files/port_owner.py"
sys.path.insert(0, str(SCRIPT.parent))

from port_owner import listening_inodes, owners  # noqa: E402


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


def test_the_script_prints_json_for_the_role(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        second = other.getsockname()[1]
        out = subprocess.run(
            [sys.executable, str(SCRIPT), str(second), str(port), "1"],
            capture_output=True,
            text=True,
            check=True,
        )
    found = json.loads(out.stdout)
    assert [entry["port"] for entry in found] == sorted([port, second])
    assert {entry["pid"] for entry in found} == {os.getpid()}
    assert all(entry["family"] == "IPv4" and entry["name"] for entry in found)
