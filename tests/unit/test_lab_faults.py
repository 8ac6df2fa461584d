"""The faults table: rows in, one Markdown table out."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from dockyard_lab.faults import main, read_rows, render


def write(directory: Path, scenario: str, *rows: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / f"{scenario}.jsonl").open("a") as table:
        for row in rows:
            table.write(json.dumps({"scenario": scenario, **row}) + "\n")


ROW = {"case": "port taken", "done": "a | b", "said": "Port 8000\nis taken", "checked": "files"}


def test_the_last_run_of_a_case_wins(tmp_path: Path) -> None:
    write(tmp_path, "faults", ROW, {**ROW, "said": "newer"})
    assert [r["said"] for r in read_rows(tmp_path)] == ["newer"]


def test_cells_are_one_line_with_pipes_escaped(tmp_path: Path) -> None:
    write(tmp_path, "faults", ROW)
    table = render(read_rows(tmp_path))
    assert "| faults | port taken | a \\| b | Port 8000 is taken | files |" in table


def test_a_long_message_is_cut_at_a_word_not_a_log(tmp_path: Path) -> None:
    said = "The database did not accept the login. " + "Its last log lines: x " * 200
    write(tmp_path, "faults", {**ROW, "said": said})
    (line,) = [row for row in render(read_rows(tmp_path)).splitlines() if "port taken" in row]
    cell = line.split(" | ")[3]
    assert cell.startswith("The database did not accept the login.") and cell.endswith(" …")
    assert len(cell) <= 320
    assert [r["said"] for r in read_rows(tmp_path)] == [said], "the rows keep it whole"


def test_no_rows_is_an_error_not_an_empty_table(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(["--rows", str(tmp_path), "--output", str(tmp_path / "out.md")])
    assert not (tmp_path / "out.md").exists()


def test_main_writes_the_document(tmp_path: Path) -> None:
    write(tmp_path / "rows", "faults", ROW)
    assert main(["--rows", str(tmp_path / "rows"), "--output", str(tmp_path / "f.md")]) == 0
    assert "port taken" in (tmp_path / "f.md").read_text()


def recorded_cases(path: Path) -> list[str]:
    """The case names a test module passes to record_fault (its first argument)."""
    return [
        node.args[0].value
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", "") == "record_fault"
        and isinstance(node.args[0], ast.Constant)
    ]


def test_the_committed_table_has_a_row_for_every_fault_test() -> None:
    root = Path(__file__).resolve().parents[2]
    table = (root / "docs" / "faults.md").read_text()
    cases = [c for p in sorted(root.glob("molecule/*/tests/test_*.py")) for c in recorded_cases(p)]
    assert len(cases) >= 12
    assert [case for case in cases if f"| {case} |" not in table] == [], "run make faults-table"
