"""The image recipe keeps the promises the deployment relies on."""

from __future__ import annotations

import re

from tests.support import APP_DIR

DOCKERFILE = (APP_DIR / "Dockerfile").read_text(encoding="utf-8")


def instructions(keyword: str) -> list[str]:
    """The arguments of every instruction of one kind, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [line.split(None, 1)[1] for line in joined.splitlines() if line.startswith(keyword)]


def test_base_image_and_index_are_build_arguments() -> None:
    assert "BASE_IMAGE=python:3.12-slim" in instructions("ARG")
    assert "PIP_INDEX_URL=https://pypi.org/simple" in instructions("ARG")
    assert "PIP_TRUSTED_HOST=" in instructions("ARG")
    assert instructions("FROM") == ["${BASE_IMAGE}"]


def test_no_secret_is_kept_in_the_image_environment() -> None:
    assert not [env for env in instructions("ENV") if "SECRET" in env or "PASSWORD" in env]


def test_runs_unprivileged_with_gunicorn_and_a_health_check() -> None:
    assert instructions("USER") == ["10001:10001"]
    assert instructions("EXPOSE") == ["8000"]
    (healthcheck,) = instructions("HEALTHCHECK")
    assert "python3" in healthcheck
    assert "http://127.0.0.1:8000/healthz" in healthcheck
    (cmd,) = instructions("CMD")
    assert cmd.startswith('["gunicorn", "blog_site.wsgi", "--bind", "0.0.0.0:8000"')


def test_requirements_are_pinned_exactly() -> None:
    for name in ("requirements.txt", "requirements-dev.txt"):
        lines = (APP_DIR / name).read_text(encoding="utf-8").splitlines()
        requirements = [line for line in lines if line and not line.startswith(("#", "-r "))]
        assert requirements
        assert all(re.fullmatch(r"[A-Za-z0-9_.\-]+(\[\w+\])?==[\w.]+", r) for r in requirements)


def test_the_wsgi_application_loads() -> None:
    from blog_site.wsgi import application  # importing it is the test

    assert callable(application)
