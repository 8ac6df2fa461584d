"""Render the table of faults and bad inputs the scenarios tried: docs/faults.md.

Each fault test appends a row (case, what was done, what the tool said, what was checked
afterwards) to .lab/faults/<scenario>.jsonl when it passes. After `make molecule`:

    python -m dockyard_lab.faults            # writes docs/faults.md
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ("case", "done", "said", "checked")


def read_rows(directory: Path) -> list[dict[str, str]]:
    """Every recorded row, scenario by scenario, the last run of a case winning."""
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                rows[(row["scenario"], row["case"])] = row
    return list(rows.values())


CELL_LIMIT = 320
"""Characters of a cell: what the tool said is kept whole in the rows, shortened here."""


def shorten(text: str, limit: int = CELL_LIMIT) -> str:
    """text on one line, cut after its last whole word within limit, with an ellipsis."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    return line[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + " …"


def cell(text: str) -> str:
    """A Markdown table cell: one short line, pipes escaped."""
    return shorten(text).replace("|", "\\|")


def render(rows: Iterable[dict[str, str]]) -> str:
    """The Markdown document."""
    lines = [
        "# Faults and bad inputs, tried",
        "",
        "Written by `python -m dockyard_lab.faults` from the rows the Molecule scenarios",
        "record when a fault test passes. Every row is a passing test; the scenario named",
        f"is where it runs. A cell longer than {CELL_LIMIT} characters is cut at a word (…).",
        "",
        "| scenario | case | what was done | what the tool said | checked afterwards |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {row['scenario']} | " + " | ".join(cell(row[c]) for c in COLUMNS) + " |" for row in rows
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the table."""
    parser = argparse.ArgumentParser(prog="python -m dockyard_lab.faults", description=__doc__)
    parser.add_argument("--rows", type=Path, default=ROOT / ".lab" / "faults")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "faults.md")
    args = parser.parse_args(argv)
    rows = read_rows(args.rows)
    if not rows:
        parser.error(f"no rows in {args.rows}: run the scenarios first (make molecule)")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render(rows), encoding="utf-8")
    print(f"{args.output}: {len(rows)} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
