"""Task files include what they mean: every include_tasks or import_tasks names a file of its
own role's tasks/, and tasks/ has no sub-folders (a relative include in one is searched in
tasks/ first, so a file of the same name there would run instead)."""

from __future__ import annotations

import re
from pathlib import Path

ROLES = Path(__file__).resolve().parents[2] / "roles"
INCLUDE = re.compile(r"(?:include|import)_tasks:\s*[\"']?([^\s\"']+)")


def test_every_include_names_a_tasks_file_of_its_role() -> None:
    seen, missing = 0, []
    for tasks in sorted(ROLES.glob("*/tasks/*.yml")):
        for name in INCLUDE.findall(tasks.read_text()):
            if "{{" in name:
                continue
            seen += 1
            if not (tasks.parent / name).is_file():
                missing.append(f"{tasks.relative_to(ROLES)} includes {name}")
    assert seen > 10
    assert missing == []


def test_the_templated_includes_name_existing_states() -> None:
    # "{{ django_stack_state }}.yml" in both topology roles: each state they accept has its file.
    for role, states in {
        "django_stack_compose": ["present", "stopped", "absent"],
        "django_stack_swarm": ["present", "absent"],
    }.items():
        assert [s for s in states if not (ROLES / role / "tasks" / f"{s}.yml").is_file()] == []


def test_no_role_has_task_sub_folders() -> None:
    assert sorted(str(p.relative_to(ROLES)) for p in ROLES.glob("*/tasks/*/")) == []
