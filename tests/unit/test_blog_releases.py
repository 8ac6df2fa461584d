"""blog_releases: a record per release, the current one named, the oldest pruned safely."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import blog_releases
import pytest
from blog_releases import apply, plan_pruning


def params(root: Path, **changes: object) -> dict[str, Any]:
    base: dict[str, Any] = {"dir": str(root / "releases"), "state": "recorded", "keep": 3,
                            "release": {"web_image_id": "sha256:a"}}  # fmt: skip
    return {**base, **changes}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The host's clock, one second per release."""
    stamps = [f"20261204T1200{n:02d}Z" for n in range(60)]
    calls: list[str] = []

    def now_id() -> tuple[str, str]:
        stamp = stamps[len(calls)]
        calls.append(stamp)
        return stamp, stamp

    monkeypatch.setattr(blog_releases, "now_id", now_id)
    return calls


def test_a_release_is_recorded_and_made_current(tmp_path: Path, clock: list[str]) -> None:
    result = apply(params(tmp_path, release={"web_image_id": "sha256:a", "dump": "d.sql.gz"}),
                   check=False)  # fmt: skip
    assert result["changed"] is True
    release = result["release"]
    assert release["id"] == "20261204T120000Z" and release["previous"] == ""
    written = json.loads((tmp_path / "releases/20261204T120000Z.json").read_text())
    assert written["dump"] == "d.sql.gz" and "id" not in written
    assert (tmp_path / "releases/current").read_text() == "20261204T120000Z\n"
    assert (tmp_path / "releases/20261204T120000Z.json").stat().st_mode & 0o777 == 0o640
    second = apply(params(tmp_path), check=False)
    assert second["release"]["previous"] == "20261204T120000Z"
    assert [r["id"] for r in second["releases"]] == ["20261204T120001Z", "20261204T120000Z"]


def test_listing_changes_nothing(tmp_path: Path, clock: list[str]) -> None:
    apply(params(tmp_path), check=False)
    listed = apply(params(tmp_path, state="listed"), check=False)
    assert listed["changed"] is False and listed["release"] is None
    assert listed["current"] == "20261204T120000Z"
    assert apply(params(tmp_path / "none", state="listed"), check=False)["releases"] == []


def test_the_oldest_beyond_keep_go_with_the_images_no_kept_release_uses(
    tmp_path: Path, clock: list[str]
) -> None:
    for image in ("sha256:a", "sha256:b", "sha256:a", "sha256:c", "sha256:d"):
        result = apply(params(tmp_path, release={"web_image_id": image}), check=False)
    assert [r["id"][-3:] for r in result["releases"]] == ["04Z", "03Z", "02Z"]
    assert result["pruned"] == ["20261204T120001Z"]
    # sha256:b was the pruned release's alone; sha256:a is kept by release 02.
    assert result["unused_images"] == ["sha256:b"]
    earlier = apply(params(tmp_path, state="listed"), check=False)["releases"]
    assert earlier[-1]["web_image_id"] == "sha256:a"
    assert sorted(p.name for p in (tmp_path / "releases").iterdir()) == [
        "20261204T120002Z.json", "20261204T120003Z.json", "20261204T120004Z.json", "current",
    ]  # fmt: skip


def test_pruning_keeps_the_current_release_and_the_one_before() -> None:
    releases = [{"id": f"r{n}", "web_image_id": f"i{n}"} for n in (5, 4, 3, 2, 1)]
    # After a rollback the current release is an old one: it and its predecessor stay.
    pruned, unused = plan_pruning(releases, 2, "r2")
    assert pruned == ["r3"] and unused == ["i3"]
    assert plan_pruning(releases, 2, "r5") == (["r3", "r2", "r1"], ["i1", "i2", "i3"])


def test_two_releases_in_one_second_get_distinct_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(blog_releases, "now_id", lambda: ("20261204T120000Z", "t"))
    ids = [apply(params(tmp_path), check=False)["release"]["id"] for _ in range(3)]
    assert ids == ["20261204T120000Z", "20261204T120000Z-2", "20261204T120000Z-3"]


def test_check_mode_writes_nothing(tmp_path: Path, clock: list[str]) -> None:
    result = apply(params(tmp_path), check=True)
    assert result["changed"] is True and result["release"]["id"] == "20261204T120000Z"
    assert not (tmp_path / "releases").exists()


def test_an_unreadable_record_is_ignored(tmp_path: Path, clock: list[str]) -> None:
    apply(params(tmp_path), check=False)
    (tmp_path / "releases/20261204T110000Z.json").write_text("{cut")
    (tmp_path / "releases/notes.txt").write_text("x")
    listed = apply(params(tmp_path, state="listed"), check=False)
    assert [r["id"] for r in listed["releases"]] == ["20261204T120000Z"]


class FakeDocker:
    """The docker CLI as the module calls it: the arguments kept, an answer given."""

    def __init__(self, code: int = 0, said: str = "") -> None:
        self.calls: list[list[str]] = []
        self.code, self.said = code, said

    def __call__(self, argv: list[str]) -> tuple[int, str]:
        self.calls.append(argv)
        return self.code, self.said


def test_each_release_tags_its_image_and_pruning_removes_only_the_tag(
    tmp_path: Path, clock: list[str]
) -> None:
    docker = FakeDocker()
    for image in ("sha256:a", "sha256:b", "sha256:c", "sha256:d"):
        wanted = params(tmp_path, image_repository="blog-release", release={"web_image_id": image})
        result = apply(wanted, check=False, docker=docker)
    assert result["release"]["web_image_tag"] == f"blog-release:{clock[-1]}"
    assert ["tag", "sha256:d", f"blog-release:{clock[-1]}"] in docker.calls
    assert result["untagged"] == [f"blog-release:{clock[0]}"]
    assert docker.calls[-1] == ["image", "rm", "--no-prune", f"blog-release:{clock[0]}"]


def test_a_failed_tag_records_no_release(tmp_path: Path, clock: list[str]) -> None:
    docker = FakeDocker(1, "No such image: sha256:a")
    with pytest.raises(blog_releases.ReleaseError, match="No such image"):
        apply(params(tmp_path, image_repository="blog-release"), check=False, docker=docker)
    assert not (tmp_path / "releases" / f"{clock[0]}.json").exists()
    assert apply(params(tmp_path, state="listed"), check=False)["current"] == ""


def test_check_mode_tags_nothing(tmp_path: Path, clock: list[str]) -> None:
    docker = FakeDocker()
    apply(params(tmp_path, image_repository="blog-release"), check=True, docker=docker)
    assert docker.calls == []


def test_a_rollback_makes_an_older_release_current(tmp_path: Path, clock: list[str]) -> None:
    first = apply(params(tmp_path), check=False)["release"]["id"]
    second = apply(params(tmp_path, release={"web_image_id": "sha256:b"}), check=False)
    assert second["release"]["previous"] == first
    back = apply(params(tmp_path, state="current", id=first), check=False)
    assert back["changed"] is True and back["current"] == first
    assert (tmp_path / "releases" / "current").read_text() == first + "\n"
    again = apply(params(tmp_path, state="current", id=first), check=False)
    assert again["changed"] is False
    # The release rolled back from stays listed: a forward deploy may name it again.
    assert [release["id"] for release in again["releases"]] == [second["release"]["id"], first]


def test_a_rollback_to_an_unknown_release_names_the_kept_ones(
    tmp_path: Path, clock: list[str]
) -> None:
    kept = apply(params(tmp_path), check=False)["release"]["id"]
    with pytest.raises(blog_releases.ReleaseError, match=f"kept ones are {kept}"):
        apply(params(tmp_path, state="current", id="20200101T000000Z"), check=False)


def test_a_release_keeps_its_rendered_files_and_pruning_removes_them(
    tmp_path: Path, clock: list[str]
) -> None:
    compose = tmp_path / "docker-compose.yml"
    for n in range(4):
        compose.write_text(f"services: {{}}  # {n}\n")
        result = apply(params(tmp_path, files=[str(compose)]), check=False)
    releases = tmp_path / "releases"
    assert result["release"]["files"] == ["docker-compose.yml"]
    assert (releases / clock[-1] / "docker-compose.yml").read_text() == "services: {}  # 3\n"
    assert not (releases / clock[0]).exists(), "pruned with its record"
    assert (releases / clock[1] / "docker-compose.yml").read_text() == "services: {}  # 1\n"
