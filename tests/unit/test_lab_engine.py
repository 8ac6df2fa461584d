"""The lab's engine step keeps the machine's own Docker and installs one only where none is."""

from __future__ import annotations

import pytest
from dockyard_lab.engine import engine_plan
from dockyard_lab.run import LabError


def test_an_engine_that_answers_is_used_whatever_its_package() -> None:
    assert (
        engine_plan(answers=True, has_cli=True, has_dockerd=True, installed={"docker-ce"}) == "use"
    )


@pytest.mark.parametrize("package", ["docker-ce", "docker.io", "moby-engine"])
def test_an_installed_engine_is_started_not_replaced(package: str) -> None:
    plan = engine_plan(answers=False, has_cli=True, has_dockerd=True, installed={package})
    assert plan == "start"


def test_debians_engine_is_installed_only_where_there_is_none() -> None:
    assert (
        engine_plan(answers=False, has_cli=False, has_dockerd=False, installed=set()) == "install"
    )
    # A bare client (this machine's image ships one) is no engine.
    assert engine_plan(answers=False, has_cli=True, has_dockerd=False, installed=set()) == "install"


def test_an_engine_without_its_cli_is_named_not_replaced() -> None:
    with pytest.raises(LabError, match=r"docker-ce\) but no docker command.*docker-ce-cli"):
        engine_plan(answers=False, has_cli=False, has_dockerd=True, installed={"docker-ce"})


def test_a_broken_engine_package_is_never_installed_over() -> None:
    with pytest.raises(LabError, match="docker-ce is installed but there is no dockerd"):
        engine_plan(answers=False, has_cli=True, has_dockerd=False, installed={"docker-ce"})
