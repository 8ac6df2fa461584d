"""Hashed lock files: parsing, rendering, refresh from an index, and what makes one incomplete."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from dockyard_lab import pylock
from dockyard_lab.pylock import Pin, ReleaseFile
from dockyard_lab.run import LabError

A, B, C = "a" * 64, "b" * 64, "c" * 64

LOCK = f"""# The header.
# requires-python: >=3.9
six==1.17.0 \\
    --hash=sha256:{A} \\
    --hash=sha256:{B}
# Only on old Pythons.
# requires-python: >=3.8
typing-extensions==4.16.0 ; python_version < "3.11" \\
    --hash=sha256:{C}
-r other.txt
PyMySQL[rsa]==1.2.4 --hash=sha256:{A}  # inline
"""


def test_parse_reads_pins_hashes_markers_and_comments() -> None:
    six, typing, pymysql = pylock.parse(LOCK)
    assert six == Pin(
        "six", "1.17.0", hashes=(A, B), requires_python=">=3.9", comments=("# The header.",)
    )
    assert typing.marker == 'python_version < "3.11"'
    assert typing.comments == ("# Only on old Pythons.",)
    assert typing.hashes == (C,)
    assert pymysql.requirement == "PyMySQL[rsa]==1.2.4"
    assert pymysql.comments == ("-r other.txt",)
    assert pymysql.requires_python == ""


def test_render_then_parse_is_the_same_pins() -> None:
    pins = pylock.parse(LOCK)
    assert pylock.parse(pylock.render(pins)) == pins


@pytest.mark.parametrize(
    "line",
    [
        "six>=1.16",
        "six",
        "six==1.17.0 --no-binary six",
        "six==1.17.0 --hash=md5:abc",
        "https://x/y.whl",
    ],
)
def test_parse_refuses_what_is_not_an_exact_pin_with_hashes(line: str) -> None:
    with pytest.raises(LabError):
        pylock.parse(line + "\n")


def test_markers_select_pins_per_python() -> None:
    _, typing, _ = pylock.parse(LOCK)
    assert typing.applies("3.10")
    assert not typing.applies("3.11")


def test_problems_name_missing_hashes_duplicates_and_pythons_a_release_refuses() -> None:
    pins = [
        Pin("six", "1.17.0", hashes=(A,), requires_python=">=3.9"),
        Pin("pycparser", "3.12", hashes=(B,), requires_python=">=3.11"),
        Pin("idna", "3.20", requires_python=">=3.9"),
        Pin("six", "1.16.0", hashes=(C,), requires_python="any"),
        Pin("tomli", "2.0", hashes=(C,), marker='python_version < "3.11"'),
    ]
    found = pylock.problems(pins, ["3.9", "3.11"])
    assert "pycparser==3.12 requires Python >=3.11, not 3.9" in found
    assert "idna==3.20 has no --hash" in found
    assert "six is pinned twice (1.17.0 and 1.16.0)" in found
    assert any(p.startswith("tomli==2.0 has no '# requires-python:'") for p in found)
    assert not any("pycparser" in p and "3.11" in p.split("not ")[-1] for p in found)
    assert len(found) == 4


def test_a_python_bound_excludes_a_whole_minor_release() -> None:
    assert not Pin("cryptography", "50", requires_python="!=3.9.0,!=3.9.1,>=3.9").admits("3.8")
    assert Pin("cryptography", "50", requires_python="!=3.9.0,!=3.9.1,>=3.9").admits("3.9")
    assert not Pin("x", "1", requires_python="<3.10").admits("3.10")


def fake_index(files: dict[tuple[str, str], Sequence[ReleaseFile]]) -> pylock.Fetch:
    def fetch(name: str, version: str) -> Sequence[ReleaseFile]:
        return files.get((name, version), ())

    return fetch


def test_refresh_writes_every_file_hash_and_the_requires_python() -> None:
    index = fake_index(
        {
            ("six", "1.17.0"): [
                ReleaseFile("six-1.17.0.tar.gz", B, ">=2.7"),
                ReleaseFile("six-1.17.0-py3-none-any.whl", A, ">=2.7"),
            ],
            ("docopt", "0.6.2"): [ReleaseFile("docopt-0.6.2.tar.gz", C)],
        }
    )
    text = pylock.refresh("# Why six.\nsix==1.17.0 --hash=sha256:" + C + "\ndocopt==0.6.2\n", index)
    six, docopt = pylock.parse(text)
    assert six.hashes == (A, B), "the stale hash is gone, every file's is there, sorted"
    assert six.requires_python == ">=2.7"
    assert six.comments == ("# Why six.",)
    assert docopt.requires_python == "any"
    assert pylock.problems([six, docopt], ["3.11"]) == []


def test_refresh_refuses_a_release_the_index_does_not_have() -> None:
    with pytest.raises(LabError, match=r"six==9\.9: the index has no file"):
        pylock.refresh("six==9.9\n", fake_index({}))


def test_refresh_refuses_files_that_disagree_on_requires_python() -> None:
    index = fake_index(
        {
            ("x", "1"): [
                ReleaseFile("x-1.tar.gz", A, ">=3.8"),
                ReleaseFile("x-1-py3-none-any.whl", B, ">=3.9"),
            ]
        }
    )
    with pytest.raises(LabError, match="disagree"):
        pylock.refresh("x==1\n", index)


@pytest.mark.parametrize(
    ("filename", "version"),
    [
        ("six-1.17.0-py2.py3-none-any.whl", "1.17.0"),
        ("PyYAML-5.4.1.tar.gz", "5.4.1"),
        ("certifi-2026.10.19.post1-py3-none-any.whl", "2026.10.19.post1"),
        ("cffi-2.0.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "2.0.0"),
    ],
)
def test_file_version(filename: str, version: str) -> None:
    assert pylock.file_version(filename) == version
