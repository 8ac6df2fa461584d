"""Fixtures: a post factory and a fresh Python process with only the given settings."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.text import slugify

from posts.models import Post
from tests.support import APP_DIR, MakePost, RunPython, clean_environ


@pytest.fixture
def make_post(db: None) -> MakePost:
    """Create a post; `age` says how long ago it was published."""

    def make(title: str, *, age: timedelta = timedelta(0), body: str = "Some text.") -> Post:
        return Post.objects.create(
            title=title, slug=slugify(title), body=body, published_at=timezone.now() - age
        )

    return make


@pytest.fixture
def run_python() -> RunPython:
    """Run Python code or manage.py in a fresh process in app/, with only the given settings."""

    def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args],
            cwd=APP_DIR,
            env={**clean_environ(), **env},
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )

    return run
