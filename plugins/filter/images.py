"""Image references as Docker reads them: which registry an image is pulled from.

django_stack names the registry in the message of a pull that failed, and Docker's rule
decides it (distribution/reference): the first path component is a registry host when it
holds a dot or a colon or is "localhost"; otherwise the image is Docker Hub's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

DOCKER_HUB = "docker.io"


def image_registry(reference: str) -> str:
    """The registry host[:port] of an image reference, docker.io for Docker Hub's images."""
    name = str(reference).strip()
    if not name:
        raise ValueError("an empty image reference names no registry")
    first, sep, _rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return DOCKER_HUB


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"image_registry": image_registry}
