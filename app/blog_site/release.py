"""The release that answered: an X-Blog-Release header, when the image names one."""

from __future__ import annotations

import os
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEADER = "X-Blog-Release"


class ReleaseHeaderMiddleware:
    """Adds X-Blog-Release (the image's BLOG_RELEASE) to every answer, the health check's too.

    Which release served a request is then visible from outside, through any proxy: what an
    operator reads during a deploy or a rollback. Without BLOG_RELEASE there is no header.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.release = os.environ.get("BLOG_RELEASE", "").strip()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.release:
            response[HEADER] = self.release
        return response
