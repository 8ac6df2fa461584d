"""Typed readers for settings taken from the environment.

Secrets follow the Docker convention: ``NAME`` holds the value, or ``NAME_FILE`` holds the
path of a file that does (preferred, so the value never shows in ``docker inspect``).
Every error names the variable, never its value.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _get(name: str) -> str | None:
    """The variable's value, with an empty value counting as unset."""
    value = os.environ.get(name)
    return value if value else None


def get_str(name: str, default: str) -> str:
    """A string variable, or the default when unset or empty."""
    return _get(name) or default


def get_bool(name: str, *, default: bool) -> bool:
    """A boolean variable: 1/0, true/false, yes/no or on/off, in any case."""
    raw = _get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off")


def get_int(name: str, default: int) -> int:
    """An integer variable."""
    raw = _get(name)
    if raw is None:
        return default
    try:
        return int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer") from None


def get_list(name: str, default: str) -> list[str]:
    """A comma separated list; blanks around items and empty items are dropped."""
    raw = _get(name) or default
    return [item.strip() for item in raw.split(",") if item.strip()]


def get_secret(name: str) -> str | None:
    """The secret from ``NAME`` or from the file named by ``NAME_FILE``; None when neither.

    Setting both is refused, as the official database images do, rather than guessing which
    one the operator meant. Trailing newlines in the file are dropped.
    """
    value = _get(name)
    path = _get(f"{name}_FILE")
    if value is not None and path is not None:
        raise ImproperlyConfigured(f"set either {name} or {name}_FILE, not both")
    if path is None:
        return value
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ImproperlyConfigured(f"{name}_FILE={path}: cannot read it ({reason})") from None
    return text.rstrip("\r\n")
