"""Find and remove what the lab made, by its label and nothing else."""

from __future__ import annotations

from . import LABEL
from .run import log, run

# Removal order matters: containers hold networks and volumes, images last.
KINDS = ("container", "network", "volume", "image")


def _ids(kind: str) -> list[tuple[str, str]]:
    fmt = {
        "container": "{{.ID}} {{.Names}}",
        "network": "{{.ID}} {{.Name}}",
        "volume": "{{.Name}} {{.Name}}",
        "image": "{{.ID}} {{.Repository}}:{{.Tag}}",
    }[kind]
    argv = ["docker", kind, "ls", "--filter", f"label={LABEL}", "--format", fmt]
    if kind == "container":
        argv.insert(3, "--all")
    lines = run(argv).stdout.split("\n")
    return [(line.split(" ", 1)[0], line.split(" ", 1)[1]) for line in lines if line.strip()]


def list_resources() -> list[tuple[str, str]]:
    """(kind, name) of every labelled container, network, volume and image."""
    return [(kind, name) for kind in KINDS for _, name in _ids(kind)]


def clean(*, images: bool = False) -> None:
    """Remove labelled containers, networks and volumes (and images when asked)."""
    for kind in KINDS:
        if kind == "image" and not images:
            continue
        found = _ids(kind)
        if not found:
            continue
        log(f"removing {len(found)} {kind}(s): {', '.join(n for _, n in found)}")
        rm = ["docker", kind, "rm"] + (["--force"] if kind in ("container", "image") else [])
        run(rm + [ident for ident, _ in found])
