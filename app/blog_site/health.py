"""The health endpoint: /healthz proves the process answers and the database does too."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse

logger = logging.getLogger(__name__)

HEALTH_PATHS = frozenset({"/healthz", "/healthz/"})


def _redact(text: str) -> str:
    """The text with the configured database password masked, should a driver echo it."""
    password = str(settings.DATABASES["default"].get("PASSWORD") or "")
    return text.replace(password, "***") if password else text


def health(request: HttpRequest) -> HttpResponse:
    """200 {"status": "ok", "database": "ok"} after a SELECT 1, else 503 with the error class."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means unhealthy; report only its class
        error = type(exc).__name__
        logger.warning("health check: database unavailable: %s: %s", error, _redact(str(exc)))
        response: HttpResponse = JsonResponse({"status": "error", "database": error}, status=503)
    else:
        response = JsonResponse({"status": "ok", "database": "ok"})
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    """Answers /healthz before host validation, so probes by IP work with any ALLOWED_HOSTS.

    It must come first in MIDDLEWARE: the rest of the stack (CommonMiddleware above all)
    rejects a Host header that is not in ALLOWED_HOSTS, such as the 127.0.0.1:8000 of the
    Docker HEALTHCHECK when the site is configured for its public name only.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path in HEALTH_PATHS:
            return health(request)
        return self.get_response(request)
