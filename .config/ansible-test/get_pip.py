"""pip's get-pip.py for ansible-test, from a pip wheel that PyPI serves.

ansible-test creates each sanity test's virtual environment without pip and bootstraps it
with get-pip.py, which it downloads from ci-files.testing.ansible.com (out of reach here)
and keeps as ~/.ansible/test/cache/get_pip_<version>.py. `make lint-sanity` puts this file
there under that name, and beside it the pip wheel of that version from PyPI. Like
get-pip.py, it runs pip from its wheel: `pip install --upgrade --force-reinstall` of the
packages ansible-test names (`pip==<version>`), into the interpreter that runs it.
get-pip.py's own options `--no-setuptools` and `--no-wheel` (ansible-test passes both) are
dropped: this never adds setuptools or wheel.
"""

from __future__ import annotations

import re
import sys
import tempfile
import zipfile
from pathlib import Path


def main(argv: list[str]) -> int:
    args = [arg for arg in argv if arg not in {"--no-setuptools", "--no-wheel"}]
    wanted = next((m.group(1) for a in args if (m := re.fullmatch(r"pip==(\S+)", a))), None)
    here = Path(__file__).resolve().parent
    wheel = here / f"pip-{wanted}-py3-none-any.whl"
    if wanted is None or not wheel.is_file():
        print(f"no pip wheel for {wanted or 'an unpinned pip'} in {here}: run make lint-sanity")
        return 1
    with tempfile.TemporaryDirectory() as unpacked:
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(unpacked)
        sys.path.insert(0, unpacked)
        from pip._internal.cli.main import main as pip_main

        return pip_main(["install", "--upgrade", "--force-reinstall", *args])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
