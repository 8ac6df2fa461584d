"""The lab repository's packages under Docker's names and version scheme."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dockyard_lab import aptrepo


@pytest.mark.parametrize(
    ("debian", "suite", "docker"),
    [
        ("26.1.5+dfsg1-9+deb13u1+b1", "trixie", "5:26.1.5-1~debian.13~trixie"),
        ("20.10.24+dfsg1-1+deb12u1+b6", "bookworm", "5:20.10.24-1~debian.12~bookworm"),
        ("1:27.0.1-2", "trixie", "5:27.0.1-1~debian.13~trixie"),
        ("1.7.24~ds1-6+deb13u1", "trixie", "5:1.7.24-1~debian.13~trixie"),
    ],
)
def test_docker_version_follows_dockers_scheme(debian: str, suite: str, docker: str) -> None:
    assert aptrepo.docker_version(debian, suite) == docker


def fake_deb(pool: Path, control: str, filename: str) -> None:
    tree = pool.parent / f"tree-{filename}"
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "DEBIAN" / "control").write_text(control)
    (tree / "usr" / "bin").mkdir(parents=True)
    (tree / "usr" / "bin" / filename.split("_")[0]).write_text("#!/bin/sh\n")
    subprocess.run(["dpkg-deb", "--build", str(tree), str(pool / filename)], check=True)


def fields(deb: Path) -> dict[str, str]:
    out = subprocess.run(["dpkg-deb", "--field", str(deb)], check=True, capture_output=True)
    return aptrepo.parse_control(out.stdout.decode())


def test_debian_packages_are_renamed_and_thin_ones_depend_on_debians(tmp_path: Path) -> None:
    pool = tmp_path / "pool" / "trixie"
    pool.mkdir(parents=True)
    control = (
        "Package: {name}\nVersion: {version}\nArchitecture: amd64\nMaintainer: x <x@y.z>\n"
        "Depends: libc6\nConflicts: {conflicts}\nRecommends: docker-cli, git\n"
        "Description: x\n more text\n"
    )
    debian = "26.1.5+dfsg1-9+b1"
    for name, conflicts in (("docker.io", "docker-ce, docker-ce-rootless-extras"),
                            ("docker-cli", "docker-ce-cli, podman-docker"),
                            ("containerd", "x"), ("docker-buildx", "x"),
                            ("docker-compose", "x")):  # fmt: skip
        version = {"containerd": "1.7.24~ds1-6", "docker-compose": "2.26.1-4"}.get(name, debian)
        fake_deb(pool, control.format(name=name, version=version, conflicts=conflicts),
                 f"{name}_1_amd64.deb")  # fmt: skip
    aptrepo.build_docker_named("trixie", pool)
    aptrepo.build_docker_named("trixie", pool)  # a second build changes nothing
    built = {fields(deb)["Package"]: fields(deb) for deb in pool.glob("*.deb")}
    engine = built["docker-ce"]
    assert engine["Version"] == "5:26.1.5-1~debian.13~trixie"
    assert engine["Conflicts"] == "docker.io"
    assert engine["Recommends"] == "docker-ce-cli, git"
    assert engine["Provides"] == "docker.io (= 26.1.5+dfsg1-9+b1)"
    assert built["docker-ce-cli"]["Provides"] == "docker-cli (= 26.1.5+dfsg1-9+b1)"
    assert built["docker-ce-cli"]["Conflicts"] == "podman-docker, docker-cli"
    assert built["containerd.io"]["Depends"] == "containerd"
    assert built["containerd.io"]["Version"] == "1.7.24-1~debian.13~trixie"
    assert built["docker-compose-plugin"]["Version"] == "2.26.1-1~debian.13~trixie"
    assert len(list(pool.glob("docker-ce_*.deb"))) == 1
    contents = subprocess.run(["dpkg-deb", "--contents", str(next(pool.glob("docker-ce_*")))],
                              check=True, capture_output=True, text=True).stdout  # fmt: skip
    assert "./usr/bin/docker.io" in contents, "the renamed package keeps Debian's files"
    assert not list(pool.parent.glob(".build-*")), "the build trees are cleaned up"


RELEASE = """Architectures: amd64
Codename: bookworm
Date: Fri, 04 Dec 2026 02:31:43 +0000
Valid-Until: Fri, 11 Dec 2026 02:31:43 +0000
Origin: dockyard-lab
SHA256:
 aaaa 8294 stable/binary-amd64/Packages
"""


def test_a_redated_release_keeps_its_checksums_and_drops_valid_until() -> None:
    text = aptrepo.redated_release(RELEASE, datetime(2026, 12, 5, 9, 8, 7, tzinfo=UTC))
    assert "Date: Sat, 05 Dec 2026 09:08:07 +0000" in text.splitlines()
    assert "Valid-Until" not in text
    assert " aaaa 8294 stable/binary-amd64/Packages" in text.splitlines()
    assert len(text.splitlines()) == len(RELEASE.splitlines()) - 1


def test_a_release_without_a_date_is_refused() -> None:
    with pytest.raises(aptrepo.LabError, match="without a Date"):
        aptrepo.redated_release("Origin: x\n", datetime.now(UTC))
