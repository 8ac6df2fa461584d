"""installed_packages: dpkg-query's and rpm's answers read the same way."""

from __future__ import annotations

from packages import installed_packages


def test_dpkg_counts_installed_only() -> None:
    lines = [
        "docker-ce not-installed",
        "docker-compose installed",
        "docker-compose-plugin config-files",
        "docker-compose-v2 half-installed",
    ]
    assert installed_packages(lines) == ["docker-compose"]


def test_rpm_counts_installed_only() -> None:
    lines = ["docker-ce installed", "package docker-compose-plugin is not installed"]
    assert installed_packages(lines) == ["docker-ce"]


def test_nothing_known_is_nothing_installed() -> None:
    assert installed_packages([]) == []
