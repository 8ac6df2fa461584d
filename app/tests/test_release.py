"""X-Blog-Release: the image's BLOG_RELEASE on every answer, none without it."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_every_answer_names_the_release(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLOG_RELEASE", "2")
    # A new client builds its own handler, whose middleware reads the environment.
    client = Client()
    assert client.get("/healthz")["X-Blog-Release"] == "2"
    assert client.get("/", headers={"host": "10.9.8.7"})["X-Blog-Release"] == "2"


@pytest.mark.django_db
def test_no_release_no_header(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BLOG_RELEASE", raising=False)
    assert not Client().get("/healthz").has_header("X-Blog-Release")
