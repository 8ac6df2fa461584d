"""`make demo` from another clone replaces the demo's servers instead of failing on them.

Against the real engine: containers labelled as the demo labels its servers. A server is
stale when another set of throwaway secrets deployed it, or when it carries no owner.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from dockyard_lab import images
from dockyard_lab.demo import OWNER_LABEL, stale_servers

NAMES = ("dockyard-lab-owner-a", "dockyard-lab-owner-b", "dockyard-lab-owner-none")


@pytest.fixture
def servers() -> Iterator[None]:
    images.ensure_busybox()
    busybox = images.BUSYBOX_TAG
    owners = {NAMES[0]: "aaaa", NAMES[1]: "bbbb", NAMES[2]: None}
    for name, owner in owners.items():
        labels = ["--label", "dockyard.lab=true"]
        if owner:
            labels += ["--label", f"{OWNER_LABEL}={owner}"]
        subprocess.run(["docker", "rm", "--force", name], capture_output=True, check=False)
        argv = ["docker", "run", "--detach", "--name", name, *labels, busybox, "sleep", "600"]
        subprocess.run(argv, check=True, capture_output=True)
    yield
    subprocess.run(["docker", "rm", "--force", *NAMES], capture_output=True, check=False)


def test_servers_of_other_secrets_or_no_owner_are_stale(servers: None) -> None:
    assert stale_servers("aaaa", NAMES) == [NAMES[1], NAMES[2]]
    assert stale_servers("bbbb", NAMES) == [NAMES[0], NAMES[2]]


def test_a_missing_server_is_not_stale(servers: None) -> None:
    assert stale_servers("aaaa", ["dockyard-lab-owner-missing"]) == []
