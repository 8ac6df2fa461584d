"""Types and helpers the tests share (fixtures live in conftest.py)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from posts.models import Post

APP_DIR = Path(__file__).resolve().parent.parent

MakePost = Callable[..., Post]
RunPython = Callable[..., subprocess.CompletedProcess[str]]


def clean_environ() -> dict[str, str]:
    """This process's environment without any setting the blog reads."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DB_")) and key != "TZ"
    }
