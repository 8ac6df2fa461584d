"""Each role's README.md, generated from its meta/argument_specs.yml.

    python -m dockyard_lab role-docs          # write roles/*/README.md
    python -m dockyard_lab role-docs --check  # exit 1 naming the stale ones

The argument specs are what Ansible validates a role's variables against, so the options
table cannot drift from the code. Ansible's markup (C(), I(), B(), V(), O(), U(), L())
becomes Markdown: none of it reaches a README.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = ROOT / "roles"
# A role's own hand-written part, kept beside the specs and placed after the description.
NOTES = "meta/README.notes.md"

_MARKUP = [
    (re.compile(r"[CVO]\(([^()]*)\)"), r"`\1`"),
    (re.compile(r"I\(([^()]*)\)"), r"*\1*"),
    (re.compile(r"B\(([^()]*)\)"), r"**\1**"),
    (re.compile(r"U\(([^()]*)\)"), r"<\1>"),
    (re.compile(r"L\(([^(),]*),\s*([^()]*)\)"), r"[\1](\2)"),
]


def markdown(text: str) -> str:
    """Ansible's documentation markup as Markdown, on one line."""
    for pattern, replacement in _MARKUP:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


def _lines(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _default(option: dict[str, Any]) -> str:
    if "default" not in option:
        return "(required)" if option.get("required") else "(none)"
    value = option["default"]
    shown = value if isinstance(value, str) else json.dumps(value)
    return f"`{shown}`" if shown != "" else "`''`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render(role: Path) -> str:
    """The README of one role."""
    spec = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())
    main = spec["argument_specs"]["main"]
    out = [
        f"# {role.name}",
        "",
        "<!-- Generated from meta/argument_specs.yml by `make role-docs`: edit that file. -->",
        "",
        markdown(main.get("short_description", "")) + ".",
        "",
    ]
    out += [f"- {markdown(line)}" for line in _lines(main.get("description"))]
    notes = role / NOTES
    if notes.exists():
        out += ([] if out[-1] == "" else [""]) + [notes.read_text().strip()]
    others = {name: entry for name, entry in spec["argument_specs"].items() if name != "main"}
    if others:
        out += [
            "",
            "## Entry points",
            "",
            "Besides `main`, called with `include_role` and `tasks_from`:",
            "",
        ]
        out += [
            f"- `{name}`: {markdown(entry.get('short_description', ''))}."
            for name, entry in others.items()
        ]
    options = main.get("options") or {}
    if not options:
        none = "None of its own: it reads those of the role that includes it."
        out += ["", "## Variables", "", none]
        return "\n".join(out) + "\n"
    out += ["", "## Variables", "", "| variable | type | default | meaning |", "|---|---|---|---|"]
    for name, option in options.items():
        kind = option.get("type", "str")
        if kind == "list" and "elements" in option:
            kind = f"list of {option['elements']}"
        meaning = " ".join(markdown(line) for line in _lines(option.get("description")))
        if option.get("choices"):
            meaning += " One of: " + ", ".join(f"`{c}`" for c in option["choices"]) + "."
        if option.get("no_log"):
            meaning += " Secret: keep it in a vault; never printed."
        out.append(f"| `{name}` | {kind} | {_cell(_default(option))} | {_cell(meaning)} |")
    return "\n".join(out) + "\n"


def roles(root: Path = ROLES) -> list[Path]:
    return sorted(p for p in root.iterdir() if (p / "meta" / "argument_specs.yml").exists())


def main(check: bool = False, root: Path = ROLES) -> list[str]:
    """Write (or, with check, compare) every role's README; return the stale ones' paths."""
    stale = []
    for role in roles(root):
        path = role / "README.md"
        text = render(role)
        if not path.exists() or path.read_text() != text:
            stale.append(str(path.relative_to(root.parent)))
            if not check:
                path.write_text(text)
    return stale
