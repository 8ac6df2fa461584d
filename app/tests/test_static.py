"""With DEBUG off, WhiteNoise serves the collected static files, the admin's among them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """collectstatic into a temporary STATIC_ROOT, as the image build does."""
    root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STATIC_ROOT=root):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield root


def body_of(response: object) -> bytes:
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_admin_login_page_links_hashed_css_that_is_served(collected_static: Path) -> None:
    assert not settings.DEBUG
    assert (collected_static / "staticfiles.json").is_file()
    client = Client()

    login = client.get("/admin/login/")

    assert login.status_code == 200
    match = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', login.content.decode())
    assert match, "the login page does not link the hashed base.css"
    css = client.get(match.group(1))
    assert css.status_code == 200
    assert css["Content-Type"].startswith("text/css")
    assert "immutable" in css["Cache-Control"]
    assert b"{" in body_of(css)
    css.close()


@pytest.mark.django_db
def test_admin_css_is_served_by_its_plain_name_and_compressed(collected_static: Path) -> None:
    client = Client()

    css = client.get("/static/admin/css/base.css", headers={"accept-encoding": "gzip"})

    assert css.status_code == 200
    assert css["Content-Type"].startswith("text/css")
    assert css["Content-Encoding"] == "gzip"
    css.close()
    assert (collected_static / "admin" / "css" / "base.css.gz").is_file()
