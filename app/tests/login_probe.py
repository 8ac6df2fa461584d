"""Log in to the admin in a fresh process whose settings come only from the environment.

    python -m tests.login_probe '{"host": "blog.example.com", "origin": "https://...",
                                  "forwarded_proto": "https"}'

Prints JSON: the login POST's status, its Location, and the flags of the cookies set. The
CSRF checks are enforced, as for a browser. The database is an in-memory SQLite and the
static files use the plain storage: neither is what is being tested.
"""

from __future__ import annotations

import json
import os
import sys

import django


def main(request: dict[str, str]) -> dict[str, object]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "blog_site.settings")
    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client, override_settings

    plain = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=plain):
        call_command("migrate", verbosity=0)
        get_user_model().objects.create_superuser("editor", "editor@example.com", "probe-pass-1")
        headers = {"host": request["host"]}
        if request.get("forwarded_proto"):
            headers["x-forwarded-proto"] = request["forwarded_proto"]
        client = Client(enforce_csrf_checks=True)
        page = client.get("/admin/login/", headers=headers)
        token = page.cookies["csrftoken"]
        if request.get("origin"):
            headers["origin"] = request["origin"]
            headers["referer"] = request["origin"] + "/admin/login/"
        form = {
            "username": "editor",
            "password": "probe-pass-1",
            "next": "/admin/",
            "csrfmiddlewaretoken": token.value,
        }
        answer = client.post("/admin/login/", form, headers=headers)
        return {
            "login_page": page.status_code,
            "status": answer.status_code,
            "location": answer.get("Location", ""),
            "csrf_cookie_secure": bool(token["secure"]),
            "session_cookie_secure": bool(answer.cookies.get("sessionid", {}).get("secure")),
            "hsts": answer.get("Strict-Transport-Security", ""),
        }


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
