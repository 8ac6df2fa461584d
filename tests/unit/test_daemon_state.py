"""daemon_state: the docker_daemon role's read of a host's files, as the stat module saw them."""

from __future__ import annotations

from pathlib import Path

import pytest
from daemon_state import read_file


def test_a_missing_file_does_not_exist_and_has_no_content(tmp_path: Path) -> None:
    assert read_file(tmp_path / "daemon.json") == {"exists": False, "content": None}


def test_a_file_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "daemon.json"
    path.write_text('{"live-restore": true}\n')
    assert read_file(path) == {"exists": True, "content": '{"live-restore": true}\n'}


def test_a_link_is_read_through(tmp_path: Path) -> None:
    (tmp_path / "managed.json").write_text("{}\n")
    (tmp_path / "daemon.json").symlink_to(tmp_path / "managed.json")
    assert read_file(tmp_path / "daemon.json") == {"exists": True, "content": "{}\n"}


def test_a_dangling_link_exists_and_cannot_be_read(tmp_path: Path) -> None:
    # The stat module called it existing and slurp then failed: the module fails the same way.
    (tmp_path / "daemon.json").symlink_to(tmp_path / "gone.json")
    with pytest.raises(FileNotFoundError):
        read_file(tmp_path / "daemon.json")


def test_bytes_that_are_not_utf8_do_not_stop_the_read(tmp_path: Path) -> None:
    # Undecodable bytes become U+FFFD: the read goes on and the parse filter judges the text.
    path = tmp_path / "daemon.json"
    path.write_bytes(b'{"a": "\xff"}')
    assert read_file(path)["content"] == '{"a": "\ufffd"}'
