"""Values written into SQL by the django_stack role, quoted on the controller.

Jinja in a folded YAML scalar receives backslashes as written, so quoting a password
there (doubling its backslashes) is easy to get wrong; this filter does it in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def sql_string(value: str) -> str:
    """A MySQL string literal holding exactly `value`: backslashes and quotes doubled."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "''") + "'"


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"sql_string": sql_string}
