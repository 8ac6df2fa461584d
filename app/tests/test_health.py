"""/healthz: 200 when the database answers, 503 naming only the error class when not."""

from __future__ import annotations

from typing import NoReturn

import pytest
from django.conf import settings
from django.db import OperationalError, connections
from django.test import Client

PASSWORD = "hunter2-very-secret"  # noqa: S105 - a fake, to prove it never leaks


@pytest.mark.django_db
def test_healthy_database_answers_200_ok(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.fixture
def broken_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every cursor fails the way MySQL does with a wrong password, echoing it."""
    monkeypatch.setitem(settings.DATABASES["default"], "PASSWORD", PASSWORD)

    def refuse() -> NoReturn:
        raise OperationalError(1045, f"Access denied for user 'blog' (password {PASSWORD})")

    monkeypatch.setattr(connections["default"], "cursor", refuse)


@pytest.mark.django_db
@pytest.mark.usefixtures("broken_database")
def test_broken_database_answers_503_with_error_class(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "OperationalError"}
    assert PASSWORD not in response.content.decode()
    assert "OperationalError" in caplog.text
    assert PASSWORD not in caplog.text


@pytest.mark.django_db
def test_health_is_answered_for_any_host(client: Client) -> None:
    """The Docker HEALTHCHECK asks 127.0.0.1:8000 whatever DJANGO_ALLOWED_HOSTS says."""
    assert client.get("/healthz", headers={"host": "10.9.8.7:8000"}).status_code == 200
    assert client.get("/", headers={"host": "10.9.8.7:8000"}).status_code == 400


@pytest.mark.django_db
def test_health_accepts_a_trailing_slash_and_head(client: Client) -> None:
    assert client.get("/healthz/").status_code == 200
    assert client.head("/healthz").status_code == 200


@pytest.mark.django_db
def test_health_refuses_other_methods(client: Client) -> None:
    assert client.post("/healthz").status_code == 405
