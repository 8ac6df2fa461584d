"""Images the blog's deployment needs, built locally because nothing can be pulled.

- dockyard-lab/python:3.11-bookworm stands in for python:3.11-slim: the blog image's base.
- dockyard-lab/mysql:9.7 stands in for mysql:8.4: MySQL Server 9.7 from Debian's packages
  (its unstable suite) behind an entrypoint with the official mysql image's contract.
- dockyard-lab/mariadb:11.8 stands in for mariadb:11.8: Debian 13's MariaDB behind the
  same entrypoint, with the official mariadb image's contract (lab/images/database/README.md).
- dockyard-lab/nginx:1.22 stands in for nginx: Debian 12's nginx, laid out as the official
  image (the HTTPS front of the blog).
- dockyard-lab/haproxy:2.6 stands in for haproxy: Debian 12's haproxy, laid out as the
  official image (the edge of the blog's swarm stack).

Each is a Dockerfile folder under lab/images, built FROM the lab's bookworm server image and
cached like the server images: the image carries a digest of its recipe (every file of the
folder, the base image's recipe digest and image id) and is rebuilt only when that changes.
"""

from __future__ import annotations

import hashlib
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from . import LABEL
from .images import RECIPE_LABEL, ServerRecipe, ensure_servers, image_label
from .run import LabError, log, run
from .services import PROJECT_ROOT

IMAGES_DIR = PROJECT_ROOT / "lab" / "images"
BASE_SUITE = "bookworm"
# Documentation in a context folder is not built into the image: editing it rebuilds nothing.
NOT_IN_RECIPE = frozenset({"README.md"})


@dataclass(frozen=True)
class ImageRecipe:
    """A lab image: a Dockerfile folder built FROM a lab server image."""

    tag: str
    context: Path
    base_suite: str = BASE_SUITE
    dockerfile: str = "Dockerfile"

    @property
    def base(self) -> ServerRecipe:
        return ServerRecipe(self.base_suite)

    def files(self) -> list[Path]:
        """Every file of the build context that shapes the image, in a stable order."""
        if not (self.context / self.dockerfile).is_file():
            raise LabError(f"{self.tag}: no {self.dockerfile} in {self.context}")
        return sorted(
            p for p in self.context.rglob("*") if p.is_file() and p.name not in NOT_IN_RECIPE
        )

    def digest(self, base_id: str = "") -> str:
        """A digest of the base (recipe and, when given, image id) and every context file."""
        sha = hashlib.sha256()
        for part in (self.tag, self.dockerfile, self.base.tag, self.base.digest(), base_id):
            sha.update(part.encode() + b"\0")
        for path in self.files():
            mode = "x" if path.stat().st_mode & 0o111 else "-"
            sha.update(f"{path.relative_to(self.context).as_posix()}\0{mode}\0".encode())
            sha.update(path.read_bytes() + b"\0")
        return sha.hexdigest()[:16]


PYTHON_BASE = ImageRecipe("dockyard-lab/python:3.11-bookworm", IMAGES_DIR / "python")
# The two database images share one folder: one entrypoint serves both servers.
DB_IMAGE = ImageRecipe(
    "dockyard-lab/mysql:9.7", IMAGES_DIR / "database", "trixie", "Dockerfile.mysql"
)
MARIADB_IMAGE = ImageRecipe(
    "dockyard-lab/mariadb:11.8", IMAGES_DIR / "database", "trixie", "Dockerfile.mariadb"
)
FRONT_IMAGE = ImageRecipe("dockyard-lab/nginx:1.22", IMAGES_DIR / "nginx")
EDGE_IMAGE = ImageRecipe("dockyard-lab/haproxy:2.6", IMAGES_DIR / "haproxy")


def image_id(tag: str) -> str:
    """The local image id of tag; LabError when it is missing."""
    proc = run(["docker", "image", "inspect", "--format", "{{.Id}}", tag], check=False)
    if proc.returncode != 0:
        raise LabError(f"image {tag} is missing")
    return proc.stdout.strip()


def build(recipe: ImageRecipe, digest: str, *, no_cache: bool = False) -> None:
    """docker build the recipe's folder, labelled with the lab label and its digest."""
    argv = [
        "docker",
        "build",
        "--force-rm",
        *(["--no-cache"] if no_cache else []),
        "--file",
        str(recipe.context / recipe.dockerfile),
        "--build-arg",
        f"BASE_IMAGE={recipe.base.tag}",
        "--label",
        f"{LABEL}=true",
        "--label",
        f"{RECIPE_LABEL}={digest}",
        "--tag",
        recipe.tag,
        str(recipe.context),
    ]
    proc = subprocess.run(argv, check=False, text=True, capture_output=True)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-25:]
        raise LabError(f"docker build of {recipe.tag} failed:\n" + "\n".join(tail))


def _ensure_built(recipe: ImageRecipe, force: bool) -> bool:
    digest = recipe.digest(image_id(recipe.base.tag))
    if not force and image_label(recipe.tag, RECIPE_LABEL) == digest:
        log(f"{recipe.tag}: up to date (recipe {digest})")
        return False
    previous = run(["docker", "image", "inspect", "--format", "{{.Id}}", recipe.tag], check=False)
    log(f"{recipe.tag}: building from {recipe.context.relative_to(PROJECT_ROOT)}")
    build(recipe, digest, no_cache=force)
    log(f"{recipe.tag}: built (recipe {digest})")
    old = previous.stdout.strip()
    if previous.returncode == 0 and old != image_id(recipe.tag):
        # The replaced image, unless a container still uses it (then rmi refuses).
        run(["docker", "image", "rm", old], check=False)
    return True


def ensure_image(recipe: ImageRecipe, *, force: bool = False) -> bool:
    """Build the image when it is missing or stale (or forced); True when it was built."""
    ensure_servers([recipe.base_suite])
    return _ensure_built(recipe, force)


def ensure_python_base(*, force: bool = False) -> bool:
    """dockyard-lab/python:3.11-bookworm: Debian 12's python3 with venv and pip."""
    return ensure_image(PYTHON_BASE, force=force)


def ensure_db_image(recipe: ImageRecipe = DB_IMAGE, *, force: bool = False) -> bool:
    """A database image: dockyard-lab/mysql:9.7 (the default) or dockyard-lab/mariadb:11.8."""
    return ensure_image(recipe, force=force)


def ensure_app_images(*, force: bool = False) -> list[str]:
    """The images, built in parallel; return the tags that were built."""
    recipes = (PYTHON_BASE, DB_IMAGE, MARIADB_IMAGE, FRONT_IMAGE, EDGE_IMAGE)
    ensure_servers(sorted({r.base_suite for r in recipes}))
    with ThreadPoolExecutor(max_workers=len(recipes)) as pool:
        futures = [(r, pool.submit(_ensure_built, r, force)) for r in recipes]
        return [r.tag for r, future in futures if future.result()]
