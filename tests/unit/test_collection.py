"""The collection others install: what goes in, its version, and documentation that is current."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml
from dockyard_lab import roledocs

ROOT = Path(__file__).resolve().parents[2]
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
CHANGELOGS = ROOT / "changelogs"
MARKUP = re.compile(r"\b[CIBVOUL]\([^)]*\)")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tarfile.TarFile:
    out = tmp_path_factory.mktemp("collection")
    galaxy = Path(sys.executable).parent / "ansible-galaxy"
    subprocess.run([str(galaxy), "collection", "build", "--output-path", str(out), str(ROOT)],
                   check=True, capture_output=True)  # fmt: skip
    (archive,) = out.glob("*.tar.gz")
    return tarfile.open(archive)


def test_the_collection_holds_the_roles_and_none_of_the_lab(built: tarfile.TarFile) -> None:
    names = built.getnames()
    top = {name.split("/")[0] for name in names}
    assert {"roles", "README.md", "LICENSE", "CHANGELOG.md", "MANIFEST.json"} <= top
    assert not top & {"lab", "app", "tests", "molecule", "inventory", "group_vars", ".lab", ".venv"}
    roles = {
        name.split("/")[1] for name in names if name.startswith("roles/") and name.count("/") >= 1
    }
    assert {
        "docker_engine",
        "docker_daemon",
        "docker_compose",
        "docker_swarm",
        "django_stack",
    } <= roles


def test_the_namespace_is_not_a_well_known_one() -> None:
    assert GALAXY["namespace"] not in {"ansible", "community", "docker", "geerlingguy", "dockyard"}
    assert re.fullmatch(r"[a-z][a-z0-9_]*", GALAXY["namespace"] + GALAXY["name"])


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def test_galaxy_yml_names_the_last_release_or_the_one_its_fragments_make() -> None:
    # changelog.yaml holds the released versions, fragments/ the changes not released yet:
    # without fragments galaxy.yml names the last release; with them, a later version (the
    # one `antsibull-changelog release` makes of them).
    releases = yaml.safe_load((CHANGELOGS / "changelog.yaml").read_text())["releases"]
    last = max(releases, key=_release)
    fragments = [*CHANGELOGS.glob("fragments/*.yml"), *CHANGELOGS.glob("fragments/*.yaml")]
    if fragments:
        assert _release(GALAXY["version"]) > _release(last), (GALAXY["version"], last)
    else:
        assert GALAXY["version"] == last


def test_the_fragments_are_valid_and_changelog_md_is_generated(tmp_path: Path) -> None:
    changelog = Path(sys.executable).parent / "antsibull-changelog"
    lint = subprocess.run([str(changelog), "lint"], cwd=ROOT, capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    generated = tmp_path / "CHANGELOG.md"
    subprocess.run([str(changelog), "generate", "--output", str(generated)],
                   cwd=ROOT, check=True, capture_output=True)  # fmt: skip
    current = (ROOT / "CHANGELOG.md").read_text()
    assert current == generated.read_text(), "run antsibull-changelog generate"


def test_the_metadata_agrees_with_galaxy_yml() -> None:
    # One version for the project and the collection; every role names the collection's
    # namespace (Molecule and ansible-lint read it from meta/main.yml).
    pyproject = (ROOT / "pyproject.toml").read_text()
    version = re.search(r'^version = "([^"]+)"$', pyproject, re.MULTILINE)
    assert version is not None and version.group(1) == GALAXY["version"]
    for meta in sorted((ROOT / "roles").glob("*/meta/main.yml")):
        info = yaml.safe_load(meta.read_text())["galaxy_info"]
        assert info["namespace"] == GALAXY["namespace"], meta
        assert info["role_name"] == meta.parent.parent.name, meta


def test_every_role_readme_is_generated_from_its_specs() -> None:
    assert roledocs.main(check=True) == [], "run make role-docs"


def test_no_ansible_markup_reaches_markdown() -> None:
    pages = [ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("roles/*/README.md")]
    leaks = {str(p.relative_to(ROOT)): MARKUP.findall(p.read_text()) for p in pages}
    assert {page: found for page, found in leaks.items() if found} == {}


def test_the_top_readme_stays_short() -> None:
    assert len((ROOT / "README.md").read_bytes()) <= 12 * 1024


def test_markup_becomes_markdown() -> None:
    text = "Use C(docker-ce) or I(distro), B(never) V(x=1), see U(https://x.test) and L(the docs, https://d.test)."
    assert roledocs.markdown(text) == (
        "Use `docker-ce` or *distro*, **never** `x=1`, see <https://x.test> and "
        "[the docs](https://d.test)."
    )


def test_a_role_without_variables_says_so_and_lists_its_entry_points(tmp_path: Path) -> None:
    role = tmp_path / "room"
    (role / "meta").mkdir(parents=True)
    (role / "meta" / "argument_specs.yml").write_text(
        "argument_specs:\n  main:\n    short_description: Do one thing\n    options: {}\n"
        "  other:\n    short_description: Do another\n    options: {}\n"
    )
    (role / "meta" / "README.notes.md").write_text("A room of its caller.\n")
    text = roledocs.render(role)
    assert "Do one thing.\n\nA room of its caller.\n" in text
    assert "- `other`: Do another." in text
    none = "None of its own: it reads those of the role that includes it."
    assert text.endswith(f"## Variables\n\n{none}\n")
    assert "| variable |" not in text
