"""Everything the blog stack pulls in the lab, in the lab's registries and index.

- The Python base and the database image go to the open registry (dockyard-lab-mirror)
  under lab/..., as a team's own base images would live in its registry.
- The blog image, built here from app/ with the lab's index, goes to the private
  registry (login required), as the tutorial's image lived at host:5000. A second tag of
  it, lab/blog:2, is another image (its own BLOG_RELEASE, one more label): an update from
  one tag to the other really replaces the web containers (the swarm scenario's rolling
  update, the django_stack scenario's releases), and every answer names the release that
  gave it (the X-Blog-Release header). lab/blog:broken is a release that never starts (its
  command exits): the failed-health-check case of a deploy.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from . import LABEL, appimages, pypi, registry, tls
from .images import RECIPE_LABEL, image_label
from .run import log, run
from .services import NETWORK, PROJECT_ROOT

APP_DIR = PROJECT_ROOT / "app"
BLOG_TAG = "dockyard-lab/blog:latest"
# The blog's second release in the lab: the same app, a different image.
BLOG_NEXT_TAG = "dockyard-lab/blog:2"
BLOG_NEXT_LABEL = "dockyard.lab.release"
# The blog's first release in the lab: what X-Blog-Release answers for lab/blog:latest.
BLOG_RELEASE = "1"
# A release whose web container exits at once: never healthy.
BLOG_BROKEN_TAG = "dockyard-lab/blog:broken"
# What is not in the image (see app/.dockerignore) does not trigger a rebuild either.
APP_IGNORED = ("tests", "__pycache__", ".pytest_cache", ".ruff_cache", "staticfiles")


def app_digest(app: Path = APP_DIR) -> str:
    """A digest of the app's source as the image build sees it."""
    sha = hashlib.sha256(f"{appimages.PYTHON_BASE.tag}\0{BLOG_RELEASE}".encode())
    for path in sorted(p for p in app.rglob("*") if p.is_file()):
        rel = path.relative_to(app)
        if any(part in APP_IGNORED for part in rel.parts) or path.suffix == ".pyc":
            continue
        sha.update(rel.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return sha.hexdigest()[:16]


def ensure_blog_image() -> bool:
    """Build the blog image from app/ through the lab's index; True when built."""
    digest = app_digest()
    if image_label(BLOG_TAG, RECIPE_LABEL) == digest:
        log(f"{BLOG_TAG}: up to date (source {digest})")
        return False
    log(f"{BLOG_TAG}: building from {APP_DIR} through the lab's package index")
    run([
        "docker", "build", "--quiet", "--network", NETWORK,
        "--label", f"{LABEL}=true", "--label", f"{RECIPE_LABEL}={digest}",
        "--build-arg", f"BASE_IMAGE={appimages.PYTHON_BASE.tag}",
        "--build-arg", f"PIP_INDEX_URL={pypi.INDEX_URL}",
        "--build-arg", f"PIP_TRUSTED_HOST={pypi.SERVICE}",
        "--build-arg", f"BLOG_RELEASE={BLOG_RELEASE}",
        "--tag", BLOG_TAG, str(APP_DIR),
    ])  # fmt: skip
    return True


def next_release_dockerfile(base: str = BLOG_TAG, release: str = "2") -> str:
    """The Dockerfile of another lab release: the blog image, its release name, one label."""
    return f"FROM {base}\nENV BLOG_RELEASE={release}\nLABEL {BLOG_NEXT_LABEL}={release}\n"


def broken_release_dockerfile(base: str = BLOG_TAG) -> str:
    """The Dockerfile of a release that never becomes healthy: its command exits at once."""
    return (
        next_release_dockerfile(base, "broken")
        + """CMD ["python3", "-c", "raise SystemExit('the lab: a broken release')"]\n"""
    )


def ensure_release_image(tag: str, dockerfile: str, *, force: bool = False) -> bool:
    """A release image built from the current blog image; True when built."""
    base = run(["docker", "image", "inspect", "--format", "{{.Id}}", BLOG_TAG]).stdout.strip()
    recipe = hashlib.sha256(f"{base}\0{dockerfile}".encode()).hexdigest()[:16]
    if not force and image_label(tag, RECIPE_LABEL) == recipe:
        return False
    subprocess.run(
        ["docker", "build", "--quiet", "--label", f"{LABEL}=true",
         "--label", f"{RECIPE_LABEL}={recipe}", "--tag", tag, "-"],
        input=dockerfile, text=True, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    log(f"{tag}: built from {BLOG_TAG}")
    return True


def ensure_stack() -> None:
    """Registries, index, images; pushed where the stack's inventory expects them."""
    registry.ensure_registries()
    pypi.ensure_pypi()
    built = appimages.ensure_app_images()
    registry.push(
        registry.MIRROR,
        appimages.PYTHON_BASE.tag,
        "lab/python",
        "3.11-bookworm",
        force=appimages.PYTHON_BASE.tag in built,
    )
    for db in (appimages.DB_IMAGE, appimages.MARIADB_IMAGE):
        name, tag = db.tag.removeprefix("dockyard-lab/").split(":")
        registry.push(registry.MIRROR, db.tag, f"lab/{name}", tag, force=db.tag in built)
    registry.push(
        registry.MIRROR,
        appimages.FRONT_IMAGE.tag,
        "lab/nginx",
        "1.22",
        force=appimages.FRONT_IMAGE.tag in built,
    )
    registry.push(
        registry.MIRROR,
        appimages.EDGE_IMAGE.tag,
        "lab/haproxy",
        "2.6",
        force=appimages.EDGE_IMAGE.tag in built,
    )
    tls.ensure_certificate(tls.PUBLIC_NAMES)
    rebuilt = ensure_blog_image()
    registry.push(registry.PRIVATE, BLOG_TAG, "lab/blog", "latest", force=rebuilt)
    # Where inventory/production expects its release (registry.example.com/blog/web:1.0.0):
    # the examples scenario swaps only the registry's address.
    registry.push(registry.PRIVATE, BLOG_TAG, "blog/web", "1.0.0", force=rebuilt)
    # The swarm scenario's rolling update, from lab/blog:latest to lab/blog:2, and the
    # django_stack scenario's releases (2, and broken).
    next_built = ensure_release_image(BLOG_NEXT_TAG, next_release_dockerfile(), force=rebuilt)
    registry.push(registry.PRIVATE, BLOG_NEXT_TAG, "lab/blog", "2", force=next_built)
    broken = ensure_release_image(BLOG_BROKEN_TAG, broken_release_dockerfile(), force=rebuilt)
    registry.push(registry.PRIVATE, BLOG_BROKEN_TAG, "lab/blog", "broken", force=broken)
