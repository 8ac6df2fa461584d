"""The lab's package index: names, pages and the recipe digest, without Docker or a network."""

from __future__ import annotations

import hashlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from dockyard_lab import pypi
from dockyard_lab.pypi import (
    COMPOSE_SDISTS,
    InstallStep,
    compose_closure,
    compose_script,
    compose_steps,
    index_pages,
    normalize,
    project_of,
    recipe_digest,
    split_pin,
    write_index,
)
from dockyard_lab.run import LabError

APP = "Django==5.2.19\n# a comment\nasgiref==3.13.0  # inline\n\nPyMySQL[rsa]==1.2.4\n"


class Anchors(HTMLParser):
    """Collects (href, text) of every <a> of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[tuple[str, str]] = []
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href") or ""

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self.anchors.append((self._href, data))
            self._href = None


def anchors(page: str) -> list[tuple[str, str]]:
    parser = Anchors()
    parser.feed(page)
    return parser.anchors


@pytest.mark.parametrize(
    "name",
    ["friendly-bard", "Friendly-Bard", "FRIENDLY-BARD", "friendly.bard", "friendly_bard",
     "friendly--bard", "FrIeNdLy-._.-bArD"],
)  # fmt: skip
def test_pep503_normalisation(name: str) -> None:
    assert normalize(name) == "friendly-bard"


@pytest.mark.parametrize(
    ("filename", "project"),
    [
        ("docker_compose-1.29.2-py2.py3-none-any.whl", "docker-compose"),
        ("PyYAML-5.4.1.tar.gz", "pyyaml"),
        ("python-dotenv-0.21.1.tar.gz", "python-dotenv"),
        ("Cython-0.29.37-cp311-cp311-manylinux_2_17_x86_64.whl", "cython"),
        ("pkg-1.0-1build-py3-none-any.whl", "pkg"),
        ("zope.interface-6.0.zip", "zope-interface"),
    ],
)
def test_project_of_wheels_and_sdists(filename: str, project: str) -> None:
    assert project_of(filename) == project


@pytest.mark.parametrize("filename", ["README.txt", "broken.whl", "nodash.tar.gz"])
def test_project_of_refuses_other_files(filename: str) -> None:
    with pytest.raises(LabError):
        project_of(filename)


def test_split_pin() -> None:
    assert split_pin("docker-compose==1.29.2") == ("docker-compose", "1.29.2")
    for bad in ("cython<3", "docker", "==1.0"):
        with pytest.raises(LabError, match="not an exact pin"):
            split_pin(bad)


def test_index_pages_link_every_file_with_its_sha256() -> None:
    files = [
        ("PyYAML-5.4.1.tar.gz", "a" * 64),
        ("docker_compose-1.29.2-py2.py3-none-any.whl", "b" * 64),
        ("docker-6.1.3-py3-none-any.whl", "c" * 64),
        ("local-1.0+lab-py3-none-any.whl", "d" * 64),
    ]
    pages = index_pages(files)
    assert sorted(pages) == [
        "docker-compose/index.html",
        "docker/index.html",
        "index.html",
        "local/index.html",
        "pyyaml/index.html",
    ]
    assert anchors(pages["index.html"]) == [
        ("docker/", "docker"),
        ("docker-compose/", "docker-compose"),
        ("local/", "local"),
        ("pyyaml/", "pyyaml"),
    ]
    assert anchors(pages["pyyaml/index.html"]) == [
        (f"../../packages/PyYAML-5.4.1.tar.gz#sha256={'a' * 64}", "PyYAML-5.4.1.tar.gz")
    ]
    # A '+' in a file name is quoted in the URL, not in the text.
    assert anchors(pages["local/index.html"]) == [
        (
            f"../../packages/local-1.0%2Blab-py3-none-any.whl#sha256={'d' * 64}",
            "local-1.0+lab-py3-none-any.whl",
        )
    ]
    for page in pages.values():
        assert page.startswith("<!DOCTYPE html>")
        assert '<meta name="pypi:repository-version" content="1.0">' in page


def test_write_index_hashes_the_real_files(tmp_path: Path) -> None:
    packages = tmp_path / "packages"
    packages.mkdir()
    content = {"six-1.17.0-py2.py3-none-any.whl": b"six", "docopt-0.6.2.tar.gz": b"docopt"}
    for name, data in content.items():
        (packages / name).write_bytes(data)
    assert write_index(tmp_path) == 2
    page = (tmp_path / "simple" / "docopt" / "index.html").read_text()
    digest = hashlib.sha256(b"docopt").hexdigest()
    assert anchors(page) == [
        (f"../../packages/docopt-0.6.2.tar.gz#sha256={digest}", "docopt-0.6.2.tar.gz")
    ]
    assert (tmp_path / "simple" / "six" / "index.html").is_file()


def test_recipe_digest_is_stable_and_ignores_comments() -> None:
    assert recipe_digest([APP]) == recipe_digest([APP])
    assert recipe_digest([APP]) == recipe_digest([APP.replace("# a comment", "# another")])
    assert recipe_digest([APP]) == recipe_digest([APP + "\n\n"])


def test_recipe_digest_changes_with_any_requirement() -> None:
    base = recipe_digest([APP])
    changed = [
        recipe_digest([APP.replace("5.2.19", "5.2.20")]),
        recipe_digest([APP + "gunicorn==27.0.1\n"]),
        recipe_digest(
            [APP.replace("asgiref==3.13.0", f"asgiref==3.13.0 --hash=sha256:{'a' * 64}")]
        ),
        recipe_digest([APP, "extra==1.0\n"]),
        recipe_digest([APP], steps=(*compose_steps()[:1], InstallStep("other.txt"))),
        recipe_digest([APP], target=("--python-version", "3.12")),
    ]
    assert base not in changed
    assert len(set(changed)) == len(changed)


def test_the_role_steps_are_the_lab_steps() -> None:
    assert [(s.requirements, s.build_isolation) for s in compose_steps()] == [
        ("1-build-tools.txt", True),
        ("2-pyyaml.txt", False),
        ("3-compose.txt", False),
    ]


def test_compose_set_is_exactly_pinned_and_consistent() -> None:
    pins = dict(map(split_pin, compose_closure()))
    names = {normalize(n) for n in pins}
    assert len(names) == len(compose_closure()), "one version per project"
    step_pins = [pin.requirement for step in compose_steps() for pin in step.pins()]
    assert set(compose_closure()) <= set(step_pins)
    assert "typing-extensions==4.16.0" not in compose_closure(), "Python < 3.11 only"
    assert names >= COMPOSE_SDISTS
    assert pins["docker-compose"] == pypi.COMPOSE_VERSION
    assert pins["docker"].startswith("6."), "docker 7 breaks compose 1.29.2"
    assert pins["Cython"].startswith("0."), "PyYAML 5.4.1 does not build under Cython 3"


def test_compose_script_runs_the_steps_in_order() -> None:
    script = compose_script("http://pypi.example:8080/simple/", venv="/opt/c", locks="/srv/l")
    lines = script.splitlines()
    assert lines[:2] == ["set -eu", "python3 -m venv /opt/c"]
    installs = lines[2:]
    assert len(installs) == len(compose_steps())
    assert "--requirement /srv/l/1-build-tools.txt" in installs[0]
    assert "--no-build-isolation --requirement /srv/l/2-pyyaml.txt" in installs[1]
    assert "--no-build-isolation --requirement /srv/l/3-compose.txt" in installs[2]
    assert "--no-build-isolation" not in installs[0]
    for line in installs:
        assert line.startswith("/opt/c/bin/pip --disable-pip-version-check --no-input install ")
        assert " --require-hashes " in line
        assert line.endswith(
            "--index-url http://pypi.example:8080/simple/ --trusted-host pypi.example"
        )


def test_unlisted_files_are_those_no_lock_hashes(tmp_path: Path) -> None:
    (tmp_path / "six-1.17.0-py2.py3-none-any.whl").write_bytes(b"six")
    (tmp_path / "docopt-0.6.2.tar.gz").write_bytes(b"docopt")
    six = hashlib.sha256(b"six").hexdigest()
    other = hashlib.sha256(b"another file").hexdigest()
    allowed = pypi.lock_hashes(
        [f"six==1.17.0 --hash=sha256:{six}\ndocopt==0.6.2 --hash=sha256:{other}\n"]
    )
    assert pypi.unlisted_files(tmp_path, allowed) == ["docopt-0.6.2.tar.gz"]
    assert pypi.unlisted_files(tmp_path, {}) == [
        "docopt-0.6.2.tar.gz",
        "six-1.17.0-py2.py3-none-any.whl",
    ]


def test_index_url_names_the_service() -> None:
    assert pypi.INDEX_URL == "http://dockyard-lab-pypi/simple/"
