"""release_line: a release as playbooks/releases.yml lists it."""

from __future__ import annotations

from release_rules import release_line


def test_a_release_names_its_image_migrations_and_dump() -> None:
    release = {
        "id": "20261204T120000Z",
        "web_image": "registry.example.com/blog/web:1.4.0",
        "web_image_id": "sha256:0123456789abcdef0123",
        "migrations": ["Applying blog.0002_post_slug... OK"],
        "dump": "/var/backups/blog/blog-20261204T115959Z.sql.gz",
    }
    assert release_line(release, "20261204T120000Z") == (
        "20261204T120000Z (current): registry.example.com/blog/web:1.4.0 (0123456789ab), "
        "1 migration applied, dump before it: /var/backups/blog/blog-20261204T115959Z.sql.gz"
    )


def test_a_first_release_has_no_dump_and_may_lack_fields() -> None:
    assert release_line({"id": "r1", "migrations": []}, "r2") == (
        "r1: ? (unknown id), 0 migrations applied, no dump before it"
    )
