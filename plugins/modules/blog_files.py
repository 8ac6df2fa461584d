"""The blog's directories, secret files and records on a host, in one module run.

Written as separate tasks they were thirteen module runs on every deploy (three
directories, a stat and a file run per secret, the first revision, two reads), each one
a Python start on the host: about 0.4 CPU-s apiece in the lab, the largest share of a
no-change deploy. One run does the same and reports the same changes.

Runs on the managed host: Python 3.8 and newer, standard library and Ansible only.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: blog_files
short_description: Directories, secret files and records of a Django stack, in one run
description:
  - Makes sure each directory exists, owned by root, with its mode (parents are created).
  - Writes each secret file (mode 0600, owned by the given uid and gid) when its content,
    owner or mode differ. When any secret changed, stamps the revision file with the UTC
    time, so that the compose file changes and Compose recreates the containers that read
    the secrets; when none changed and the revision file is missing, writes C(initial).
  - Reads the files named in O(read) and returns their text.
  - In check mode, reports what would change and the revision that would be written.
version_added: 0.8.0
author: dockyard developers (!UNKNOWN)
options:
  directories:
    description: Directories to make sure of, in order.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The directory.
        type: path
        required: true
      mode:
        description: Its mode, as an octal string.
        type: str
        required: true
  secrets_dir:
    description: The directory holding the secret files (among O(directories)).
    type: path
    required: true
  secrets:
    description: The secret files, by name inside O(secrets_dir).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The file's name.
        type: str
        required: true
      content:
        description: What the file holds, written as given. Never printed.
        type: str
        required: true
      owner:
        description: The numeric user and group that own the file.
        type: int
        required: true
  revision:
    description: The file holding the secrets revision (a stamp the compose file carries).
    type: path
    required: true
  read:
    description: Files to read; a missing file reads as null.
    type: list
    elements: path
    default: []
"""

EXAMPLES = r"""
- name: Write the project's directories and secret files, and read its records
  dockyard_blog.hosts.blog_files:
    directories:
      - {path: /opt/blog, mode: "0750"}
      - {path: /opt/blog/secrets, mode: "0711"}
    secrets_dir: /opt/blog/secrets
    secrets:
      - {name: db_password, content: "{{ vault_db_password }}", owner: 1000}
    revision: /opt/blog/secrets/revision
    read: [/opt/blog/deployed]
  register: blog_files
"""

RETURN = r"""
changed_paths:
  description: The directories and files that were (or in check mode would be) changed.
  returned: always
  type: list
  elements: str
secrets_changed:
  description: The names of the secret files whose content, owner or mode changed.
  returned: always
  type: list
  elements: str
revision:
  description: The secrets revision, without its line end.
  returned: always
  type: str
read:
  description: The text of each file of O(read), in its order; null for a missing file.
  returned: always
  type: list
  elements: str
"""

import datetime
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from ansible.module_utils.basic import AnsibleModule

SECRET_MODE = 0o600
REVISION_MODE = 0o644


def ensure_directory(path: Path, mode: int, *, check: bool) -> bool:
    """A directory owned by root with this mode; True when it was (or would be) changed."""
    try:
        st = path.stat()
    except FileNotFoundError:
        if not check:
            path.mkdir(mode=mode, parents=True)
            os.chown(path, 0, 0)
            path.chmod(mode)  # mkdir's mode goes through the umask
        return True
    if not stat.S_ISDIR(st.st_mode):
        raise NotADirectoryError(f"{path} exists and is not a directory")
    changed = False
    if (st.st_uid, st.st_gid) != (0, 0):
        changed = True
        if not check:
            os.chown(path, 0, 0)
    if stat.S_IMODE(st.st_mode) != mode:
        changed = True
        if not check:
            path.chmod(mode)
    return changed


def read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def ensure_file(path: Path, content: str, *, uid: int, mode: int, check: bool) -> bool:
    """A file with this content, owned by uid:uid with this mode, replaced atomically."""
    try:
        st = path.stat()
    except FileNotFoundError:
        st = None
    if (
        st is not None
        and read_text(path) == content
        and (st.st_uid, st.st_gid) == (uid, uid)
        and stat.S_IMODE(st.st_mode) == mode
    ):
        return False
    if check:
        return True
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=".blog_files.")
    temp = Path(name)
    try:
        os.fchmod(handle, mode)
        os.fchown(handle, uid, uid)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return True


def now_stamp() -> str:
    # timezone.utc, not datetime.UTC: the module also runs on hosts' Python 3.8-3.10.
    return datetime.datetime.now(datetime.timezone.utc).isoformat()  # noqa: UP017


def apply(params: dict[str, Any], *, check: bool) -> dict[str, Any]:
    """Everything the module does, without AnsibleModule: the unit tests call this."""
    changed_paths: list[str] = []
    for directory in params["directories"]:
        if ensure_directory(Path(directory["path"]), int(directory["mode"], 8), check=check):
            changed_paths.append(directory["path"])
    secrets_changed: list[str] = []
    for secret in params["secrets"]:
        path = Path(params["secrets_dir"], secret["name"])
        if ensure_file(path, secret["content"], uid=secret["owner"], mode=SECRET_MODE, check=check):
            secrets_changed.append(secret["name"])
            changed_paths.append(str(path))
    revision_file = Path(params["revision"])
    current = read_text(revision_file)
    if secrets_changed:
        revision = now_stamp()
    elif current is None:
        revision = "initial"
    else:
        revision = current.strip()
    if current is None or secrets_changed:
        changed_paths.append(params["revision"])
        if not check:
            ensure_file(revision_file, revision + "\n", uid=0, mode=REVISION_MODE, check=False)
    return {
        "changed": bool(changed_paths),
        "changed_paths": changed_paths,
        "secrets_changed": secrets_changed,
        "revision": revision,
        "read": [read_text(Path(path)) for path in params["read"]],
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "directories": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": {
                    "path": {"type": "path", "required": True},
                    "mode": {"type": "str", "required": True},
                },
            },
            "secrets_dir": {"type": "path", "required": True},
            "secrets": {
                "type": "list",
                "elements": "dict",
                "default": [],
                # Each file's name and owner may be shown; its content is no_log, below.
                "no_log": False,
                "options": {
                    "name": {"type": "str", "required": True},
                    "content": {"type": "str", "required": True, "no_log": True},
                    "owner": {"type": "int", "required": True},
                },
            },
            "revision": {"type": "path", "required": True},
            "read": {"type": "list", "elements": "path", "default": []},
        },
        supports_check_mode=True,
    )
    for secret in module.params["secrets"]:
        if "/" in secret["name"] or secret["name"] in ("", ".", ".."):
            module.fail_json(msg=f"A secret's name must be a plain file name: {secret['name']!r}")
    try:
        result = apply(module.params, check=module.check_mode)
    except OSError as err:
        module.fail_json(msg=f"{err.__class__.__name__}: {err}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
