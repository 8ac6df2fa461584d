"""The list of posts and the post pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from tests.support import MakePost


@pytest.mark.django_db
def test_list_without_posts_says_so(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "No posts yet." in response.content.decode()


def test_list_shows_every_title_verbatim_newest_first(client: Client, make_post: MakePost) -> None:
    make_post("Oldest harbour news", age=timedelta(days=2))
    make_post("Newest harbour news", age=timedelta(minutes=1))
    make_post("Middle harbour news", age=timedelta(days=1))

    html = client.get("/").content.decode()

    positions = [
        html.index(title)
        for title in ("Newest harbour news", "Middle harbour news", "Oldest harbour news")
    ]
    assert positions == sorted(positions)


def test_list_links_each_title_to_its_page(client: Client, make_post: MakePost) -> None:
    make_post("Cranes at dawn")
    html = client.get("/").content.decode()
    assert '<a href="/posts/cranes-at-dawn/">Cranes at dawn</a>' in html


def test_list_is_paginated_by_twenty(client: Client, make_post: MakePost) -> None:
    for number in range(21):
        make_post(f"Post {number:02d}", age=timedelta(hours=number))

    first = client.get("/").content.decode()
    second = client.get("/?page=2").content.decode()

    assert "Post 00" in first
    assert "Post 20" not in first
    assert "Post 20" in second


def test_detail_shows_the_post(client: Client, make_post: MakePost) -> None:
    make_post("Container ship arrives", body="First line.\n\nSecond paragraph.")
    response = client.get("/posts/container-ship-arrives/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h2>Container ship arrives</h2>" in html
    assert "<p>Second paragraph.</p>" in html


@pytest.mark.django_db
def test_detail_of_unknown_slug_is_404(client: Client) -> None:
    assert client.get("/posts/no-such-post/").status_code == 404


def test_titles_are_html_escaped(client: Client, make_post: MakePost) -> None:
    make_post("<script>alert(1)</script>")
    html = client.get("/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
