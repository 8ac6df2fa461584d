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


def test_requirements_are_pinned_exactly_with_hashes() -> None:
    # pip --require-hashes (the Dockerfile's) refuses a file with one unpinned or unhashed
    # requirement; this says which, without a build.
    for name in ("requirements.txt", "requirements-dev.txt"):
        text = (APP_DIR / name).read_text(encoding="utf-8").replace("\\\n", " ")
        lines = [line.strip() for line in text.splitlines()]
        requirements = [line for line in lines if line and not line.startswith(("#", "-r "))]
        assert requirements
        for requirement in requirements:
            assert re.fullmatch(
                r"[A-Za-z0-9_.\-]+(\[\w+\])?==[\w.]+( +--hash=sha256:[0-9a-f]{64})+", requirement
            ), requirement
    assert "--require-hashes --requirement /tmp/requirements.txt" in DOCKERFILE


def test_the_wsgi_application_loads() -> None:
    from blog_site.wsgi import application  # importing it is the test

    assert callable(application)
