"""image_registry: the registry Docker pulls an image reference from."""

from __future__ import annotations

import pytest
from images import image_registry


@pytest.mark.parametrize(
    ("reference", "registry"),
    [
        ("mysql:8.4", "docker.io"),
        ("mysql", "docker.io"),
        ("library/mysql:8.4", "docker.io"),
        ("bitnami/mysql:8.4", "docker.io"),
        ("docker.io/library/mysql:8.4", "docker.io"),
        ("dockyard-lab-mirror:5000/lab/mysql:9.7", "dockyard-lab-mirror:5000"),
        ("registry.example.com/blog/web:1.0", "registry.example.com"),
        ("localhost/blog:1", "localhost"),
        ("localhost:5000/blog", "localhost:5000"),
        ("host:5000/blog@sha256:" + "a" * 64, "host:5000"),
        ("mysql:8.4@sha256:" + "b" * 64, "docker.io"),
        ("[::1]:5000/blog:1", "[::1]:5000"),
    ],
)
def test_the_registry_docker_pulls_from(reference: str, registry: str) -> None:
    assert image_registry(reference) == registry


def test_an_empty_reference_is_an_error() -> None:
    with pytest.raises(ValueError, match="empty image reference"):
        image_registry("  ")
