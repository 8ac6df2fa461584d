"""What is wrong with django_stack's plain settings, before anything on a host changes.

These values reach the compose file, SQL statements and shell commands: each is refused
unless it is plain (a name, a zone, a host), and a few settings are refused together (a
trusted proxy on a public web port, the HTTPS front without an https address). Each problem
names the variable, the value as JSON, and what it should be.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
PROJECT = re.compile(r"[a-z0-9][a-z0-9_-]*")
HOST = re.compile(r"[A-Za-z0-9.*:\[\]_-]+")
PUBLIC_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?")
WILDCARD_BINDS = ("0.0.0.0", "::", "")  # noqa: S104 - compared with, never bound
# (variable, what its whole value must match, what it should be, whether it may be empty)
RULES: tuple[tuple[str, re.Pattern[str], str, bool], ...] = (
    (
        "django_stack_db_name",
        re.compile(r"[A-Za-z0-9_]{1,64}"),
        "letters, digits, _; up to 64",
        False,
    ),
    (
        "django_stack_db_user",
        re.compile(r"[A-Za-z0-9_]{1,32}"),
        "letters, digits, _; up to 32",
        False,
    ),
    (
        "django_stack_time_zone",
        re.compile(r"[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*"),
        "a zone name such as Asia/Shanghai",
        False,
    ),
    ("django_stack_takeover_volume", NAME, "a volume name", True),
    (
        "django_stack_takeover_project",
        PROJECT,
        "a Compose project name: lower-case letters, digits, _ and -",
        True,
    ),
    (
        "django_stack_public_url",
        PUBLIC_URL,
        "http:// or https://, a host name, an optional port, no path",
        True,
    ),
)
# (list variable, what each entry must match, what an entry should be)
LIST_RULES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("django_stack_takeover_containers", NAME, "a container name"),
    ("django_stack_allowed_hosts", HOST, "a host name, .domain, an address or *"),
)


def _shown(value: object) -> str:
    return json.dumps(value)


def _plain(pattern: re.Pattern[str], value: object) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def _entries(values: object) -> Iterable[object]:
    return values if isinstance(values, list | tuple) else [values]


def stack_input_problems(settings: Mapping[str, Any]) -> list[str]:
    """One line per problem, in a fixed order; [] when every setting is usable."""
    problems = [
        f"{name} {_shown(settings.get(name))} ({hint})"
        for name, pattern, hint, optional in RULES
        if not (optional and not settings.get(name)) and not _plain(pattern, settings.get(name))
    ]
    problems += [
        f"{name} entry {_shown(entry)} ({hint})"
        for name, pattern, hint in LIST_RULES
        for entry in _entries(settings.get(name) or [])
        if not _plain(pattern, entry)
    ]
    project, own = (
        settings.get("django_stack_takeover_project"),
        settings.get("django_stack_project_name"),
    )
    if project and project == own:
        problems.append(
            f"django_stack_takeover_project is django_stack_project_name ({own}): the project to "
            "retire must be another one; give the stack another django_stack_project_name"
        )
    bind = settings.get("django_stack_web_bind_address") or ""
    if settings.get("django_stack_trusted_proxy") and bind in WILDCARD_BINDS:
        problems.append(
            f"django_stack_trusted_proxy with django_stack_web_bind_address {bind} (anyone "
            "reaching the port could claim HTTPS: bind the web container to 127.0.0.1 or the "
            "address only the proxy reaches)"
        )
    url = str(settings.get("django_stack_public_url") or "")
    if settings.get("django_stack_https_front") and not url.startswith("https://"):
        problems.append(
            "django_stack_https_front without an https django_stack_public_url (the name its "
            "certificate is for)"
        )
    return problems


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"stack_input_problems": stack_input_problems}
