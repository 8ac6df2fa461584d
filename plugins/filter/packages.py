"""Which packages are installed, from the package database's answer to a few names.

The docker_engine and docker_compose roles ask dpkg or rpm about the packages they decide
by, one line per package, instead of reading the whole package database:

    dpkg-query --show --showformat='${Package} ${db:Status-Status}\\n' NAME...
    rpm --query --queryformat='%{NAME} installed\\n' NAME...

dpkg prints "NAME installed" for an installed package and another status (not-installed,
config-files, half-installed...) for one it knows otherwise; rpm prints "package NAME is
not installed". Only the first form counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def installed_packages(lines: Iterable[str]) -> list[str]:
    """The names of the lines that say "NAME installed", in their order."""
    names = []
    for line in lines:
        words = str(line).split()
        if len(words) == 2 and words[1] == "installed":
            names.append(words[0])
    return names


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"installed_packages": installed_packages}
