"""The lab repository's packages under Docker's names and version scheme."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from dockyard_lab import aptrepo


@pytest.mark.parametrize(
    ("debian", "suite", "docker"),
    [
        ("26.1.5+dfsg1-9+deb13u1+b1", "trixie", "5:26.1.5-1~debian.13~trixie"),
        ("20.10.24+dfsg1-1+deb12u1+b6", "bookworm", "5:20.10.24-1~debian.12~bookworm"),
        ("1:27.0.1-2", "trixie", "5:27.0.1-1~debian.13~trixie"),
    ],
)
def test_docker_version_follows_dockers_scheme(debian: str, suite: str, docker: str) -> None:
    assert aptrepo.docker_version(debian, suite) == docker


def test_shims_depend_on_the_suites_own_engine(tmp_path: Path) -> None:
    pool = tmp_path / "pool" / "trixie"
    engine = tmp_path / "engine"
    (engine / "DEBIAN").mkdir(parents=True)
    (engine / "DEBIAN" / "control").write_text(
        aptrepo.control("docker.io", "26.1.5+dfsg1-9+b1", "libc6").replace("all", "amd64")
    )
    pool.mkdir(parents=True)
    deb = pool / "docker.io_1_amd64.deb"
    subprocess.run(["dpkg-deb", "--build", str(engine), str(deb)], check=True, capture_output=True)
    aptrepo.build_shims("trixie", pool)
    built = {
        subprocess.run(
            ["dpkg-deb", "--field", str(deb), "Package", "Version", "Depends"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for deb in pool.glob("*_all.deb")
    }
    assert len(built) == len(aptrepo.SHIMS["trixie"])
    assert (
        "Package: docker-ce\nVersion: 5:26.1.5-1~debian.13~trixie\n"
        "Depends: docker.io (= 26.1.5+dfsg1-9+b1)\n"
    ) in built
    assert not list(pool.parent.glob(".shim-*")), "the build trees are cleaned up"
