"""What is wrong with the blog's secrets, by name: never a value.

django_stack refuses to deploy with a secret that is short, one of the well-known defaults
(the tutorial's 123456 among them), built of too few distinct characters, or the same as
another of the blog's secrets (one leaked value would then open everything). Each problem
names the variable and the rule it breaks, so that a failure can be printed safely.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

# Fewer distinct characters than this is a pattern, not a secret (aaaaaaaaaaaaaaaaaaaa, 1212...).
MIN_DISTINCT = 5


def secret_problems(
    secrets: Mapping[str, Any], min_length: int = 16, weak: Iterable[str] = ()
) -> list[str]:
    """One line per problem, naming variables only, in the order the secrets were given."""
    known = {str(word).lower() for word in weak}
    problems: list[str] = []
    seen: dict[str, str] = {}
    for name, raw in secrets.items():
        value = "" if raw is None else str(raw)
        if not value:
            problems.append(f"{name} is not set")
            continue
        if value.lower() in known:
            problems.append(f"{name} is a well-known default")
        elif len(value) < int(min_length):
            problems.append(f"{name} is shorter than {int(min_length)} characters")
        elif len(set(value)) < MIN_DISTINCT:
            problems.append(f"{name} repeats fewer than {MIN_DISTINCT} distinct characters")
        if value in seen:
            problems.append(f"{name} is the same value as {seen[value]}")
        else:
            seen[value] = name
    return problems


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"secret_problems": secret_problems}
