"""The blog's releases on a host: one record per deploy that changed what runs.

A release names what a deploy put in place (the web image by id and digest, the compose
file's checksum, the secrets revision), when, the migrations it applied and the dump taken
before it: what a rollback needs to put that release back without a build or a pull. The
last few are kept; the module says which older ones it removed and which of their images
no kept release uses, for the caller to remove.

Runs on the managed host: Python 3.8 and newer, standard library and Ansible only.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: blog_releases
short_description: Record, list and prune the releases of a Django stack on a host
description:
  - With O(state=recorded), writes a new release record into O(dir) (one JSON file per
    release, named by its id, the host's UTC time), marks it current, and removes the oldest
    records beyond O(keep) - never the current release or the one before it.
  - With O(state=current), marks the existing release O(id) current (a rollback to it).
  - With O(state=listed), changes nothing and returns the releases.
  - With O(image_repository), each recorded release's web image is also tagged
    C(<image_repository>:<id>) on the host, so that no later pull of a moving tag and no
    C(docker image prune) takes it away; a pruned release's tag is removed (the image goes
    with it when nothing else uses it).
  - In check mode, reports the release that would be recorded and what would be removed.
version_added: 3.0.0
author: dockyard developers (!UNKNOWN)
options:
  dir:
    description: The directory of the release records (created 0750 when missing).
    type: path
    required: true
  state:
    description: >-
      Record a new release (V(recorded)), make an existing one current (V(current)), or only
      list them (V(listed)).
    type: str
    choices: [recorded, current, listed]
    default: listed
  id:
    description: The release to make current (O(state=current)).
    type: str
    default: ''
  image_repository:
    description: >-
      The local repository the releases' web images are tagged in (C(<repository>:<id>));
      empty for no tags.
    type: str
    default: ''
  release:
    description: >-
      What the new release put in place (O(state=recorded)) - keys such as web_image,
      web_image_id, compose_checksum, secrets_revision, migrations, dump. Kept as given.
    type: dict
    default: {}
  files:
    description: >-
      Files of the new release (O(state=recorded)) copied into C(<dir>/<id>/) as they are
      now, such as the rendered compose file: what the release ran with, kept as long as
      its record. Never secrets.
    type: list
    elements: path
    default: []
  keep:
    description: How many releases to keep (at least 2, the current one and the one before).
    type: int
    default: 5
"""

EXAMPLES = r"""
- name: Record the release this deploy put in place
  dockyard_blog.hosts.blog_releases:
    dir: /opt/blog/releases
    state: recorded
    release:
      web_image: registry.example.com/blog/web:1.4.0
      web_image_id: sha256:0123...
    keep: 5
  register: releases
"""

RETURN = r"""
release:
  description: The release recorded (with its id and time); null with O(state=listed).
  returned: always
  type: dict
releases:
  description: The kept releases, newest first.
  returned: always
  type: list
  elements: dict
current:
  description: The id of the current release; empty before the first.
  returned: always
  type: str
pruned:
  description: The ids of the records removed (or, in check mode, that would be).
  returned: always
  type: list
  elements: str
untagged:
  description: The release tags removed with their releases (or, in check mode, that would be).
  returned: always
  type: list
  elements: str
unused_images:
  description: The web image ids of removed releases that no kept release uses.
  returned: always
  type: list
  elements: str
"""

import datetime
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ansible.module_utils.basic import AnsibleModule

RECORD = re.compile(r"^(\d{8}T\d{6}Z)(-\d+)?\.json$")
CURRENT = "current"
RECORD_MODE = 0o640
DIR_MODE = 0o750


def now_id() -> tuple[str, str]:
    """(id, ISO time) from the host's clock, UTC."""
    # timezone.utc, not datetime.UTC: the module also runs on hosts' Python 3.8-3.10.
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)  # noqa: UP017
    return now.strftime("%Y%m%dT%H%M%SZ"), now.isoformat()


def read_releases(directory: Path) -> list[dict[str, Any]]:
    """Every readable record, newest first (ids sort as times)."""
    found: list[dict[str, Any]] = []
    if not directory.is_dir():
        return found
    for path in directory.iterdir():
        if not RECORD.match(path.name):
            continue
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(record, dict):
            record["id"] = path.name[: -len(".json")]
            found.append(record)
    return sorted(found, key=lambda record: sort_key(record["id"]), reverse=True)


def sort_key(release_id: str) -> tuple[str, int]:
    stamp, suffix = release_id.partition("-")[::2]
    return stamp, int(suffix or 0)


def read_current(directory: Path) -> str:
    try:
        return (directory / CURRENT).read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).chmod(RECORD_MODE)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def new_id(existing: set[str], stamp: str) -> str:
    """The stamp, or the stamp with a counter when a release of that second exists."""
    if stamp not in existing:
        return stamp
    number = 2
    while f"{stamp}-{number}" in existing:
        number += 1
    return f"{stamp}-{number}"


def plan_pruning(
    releases: list[dict[str, Any]], keep: int, current: str
) -> tuple[list[str], list[str]]:
    """(ids to remove, image ids only they use), oldest beyond `keep` first; the current
    release and the one before it are always kept."""
    protected = {current}
    ids = [release["id"] for release in releases]
    if current in ids and ids.index(current) + 1 < len(ids):
        protected.add(ids[ids.index(current) + 1])
    kept: list[dict[str, Any]] = []
    removed: list[dict[str, Any]] = []
    for release in releases:
        if len(kept) < keep or release["id"] in protected:
            kept.append(release)
        else:
            removed.append(release)
    in_use = {release.get("web_image_id") for release in kept}
    unused = sorted(
        {
            str(release["web_image_id"])
            for release in removed
            if release.get("web_image_id") and release.get("web_image_id") not in in_use
        }
    )
    return [release["id"] for release in removed], unused


if TYPE_CHECKING:  # subscripted only for the type checker: hosts may run Python 3.8
    from collections.abc import Callable

    # Runs docker with the given arguments: (return code, what it said).
    Docker = Callable[[list[str]], tuple[int, str]]


def run_docker(argv: list[str]) -> tuple[int, str]:
    done = subprocess.run(["docker", *argv], capture_output=True, text=True, check=False)
    return done.returncode, (done.stderr or done.stdout).strip()


class ReleaseError(Exception):
    """What the module reports as its failure."""


def release_tag(repository: str, release_id: str) -> str:
    return f"{repository}:{release_id}"


def apply(params: dict[str, Any], *, check: bool, docker: Docker = run_docker) -> dict[str, Any]:
    """Everything the module does, without AnsibleModule: the unit tests call this."""
    directory = Path(params["dir"])
    keep = max(int(params["keep"]), 2)
    repository = params.get("image_repository") or ""
    releases = read_releases(directory)
    current = read_current(directory)
    result: dict[str, Any] = {
        "changed": False, "release": None, "pruned": [], "untagged": [], "unused_images": [],
    }  # fmt: skip
    if params["state"] == "current":
        wanted = params.get("id") or ""
        if wanted not in {release["id"] for release in releases}:
            raise ReleaseError(
                f"No release {wanted!r} in {directory}: the kept ones are "
                f"{', '.join(release['id'] for release in releases) or 'none'}."
            )
        if wanted != current:
            result["changed"] = True
            if not check:
                write_atomically(directory / CURRENT, wanted + "\n")
            current = wanted
    elif params["state"] == "recorded":
        stamp, time = now_id()
        release_id = new_id({release["id"] for release in releases}, stamp)
        record = {
            **params["release"],
            "time": time,
            "previous": current,
        }
        if repository and record.get("web_image_id"):
            record["web_image_tag"] = release_tag(repository, release_id)
        files = [Path(name) for name in params.get("files") or []]
        if files:
            record["files"] = [path.name for path in files]
        result["release"] = {**record, "id": release_id}
        releases = [result["release"], *releases]
        current = release_id
        result["changed"] = True
        if not check:
            directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
            if record.get("web_image_tag"):
                code, said = docker(["tag", str(record["web_image_id"]), record["web_image_tag"]])
                if code != 0:
                    raise ReleaseError(f"Could not tag the release's web image: {said}")
            if files:
                kept = directory / release_id
                kept.mkdir(mode=DIR_MODE, exist_ok=True)
                for path in files:
                    write_atomically(kept / path.name, path.read_text(encoding="utf-8"))
            write_atomically(
                directory / f"{release_id}.json", json.dumps(record, sort_keys=True) + "\n"
            )
            write_atomically(directory / CURRENT, release_id + "\n")
        pruned, unused = plan_pruning(releases, keep, current)
        untagged = [
            str(release["web_image_tag"])
            for release in releases
            if release["id"] in pruned and release.get("web_image_tag")
        ]
        if not check:
            for release_id_pruned in pruned:
                (directory / f"{release_id_pruned}.json").unlink(missing_ok=True)
                shutil.rmtree(directory / release_id_pruned, ignore_errors=True)
            for tag in untagged:
                # Only the tag: the image itself stays while anything else uses it.
                docker(["image", "rm", "--no-prune", tag])
        releases = [release for release in releases if release["id"] not in pruned]
        result.update(pruned=pruned, untagged=untagged, unused_images=unused)
    result.update(releases=releases, current=current)
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "dir": {"type": "path", "required": True},
            "state": {
                "type": "str",
                "choices": ["recorded", "current", "listed"],
                "default": "listed",
            },
            "id": {"type": "str", "default": ""},
            "image_repository": {"type": "str", "default": ""},
            "files": {"type": "list", "elements": "path", "default": []},
            "release": {"type": "dict", "default": {}},
            "keep": {"type": "int", "default": 5},
        },
        supports_check_mode=True,
    )
    try:
        result = apply(module.params, check=module.check_mode)
    except ReleaseError as err:
        module.fail_json(msg=str(err))
    except OSError as err:
        module.fail_json(msg=f"{err.__class__.__name__}: {err}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
