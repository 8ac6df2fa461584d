"""The admin login works where the site is published: plain HTTP, or HTTPS behind a proxy.

Each case starts a fresh process whose settings come from the environment the role writes
(DJANGO_ALLOWED_HOSTS, DJANGO_CSRF_TRUSTED_ORIGINS, DJANGO_SECURE_PROXY_SSL_HEADER,
DJANGO_HTTPS, DJANGO_HSTS_SECONDS), then logs in with Django's CSRF checks enforced.
"""

from __future__ import annotations

import json

from tests.support import RunPython

BASE = {"DJANGO_SECRET_KEY": "a-test-secret-key", "DB_ENGINE": "sqlite", "DB_NAME": ":memory:"}
# What the role writes for django_stack_public_url: https://blog.example.com behind a proxy.
HTTPS_BEHIND_PROXY = {
    **BASE,
    "DJANGO_ALLOWED_HOSTS": "blog.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://blog.example.com",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "1",
    "DJANGO_HTTPS": "1",
    "DJANGO_HSTS_SECONDS": "3600",
}
THROUGH_PROXY = {
    "host": "blog.example.com",
    "origin": "https://blog.example.com",
    "forwarded_proto": "https",
}


def log_in(
    run_python: RunPython, env: dict[str, str], request: dict[str, str]
) -> dict[str, object]:
    proc = run_python("-m", "tests.login_probe", json.dumps(request), env=env)
    assert proc.returncode == 0, proc.stderr
    # Django logs to stdout too (a refused login's reason): the result is the last line.
    result: dict[str, object] = json.loads(proc.stdout.splitlines()[-1])
    result["log"] = proc.stdout
    assert result["login_page"] == 200
    return result


def test_plain_http_login_like_the_tutorial(run_python: RunPython) -> None:
    env = {**BASE, "DJANGO_ALLOWED_HOSTS": "staging1.example.com"}
    result = log_in(
        run_python, env, {"host": "staging1.example.com", "origin": "http://staging1.example.com"}
    )
    assert (result["status"], result["location"]) == (302, "/admin/")
    assert result["csrf_cookie_secure"] is False
    assert result["hsts"] == ""


def test_https_proxy_login_with_the_settings_the_role_writes(run_python: RunPython) -> None:
    result = log_in(run_python, HTTPS_BEHIND_PROXY, THROUGH_PROXY)
    assert (result["status"], result["location"]) == (302, "/admin/")
    assert result["csrf_cookie_secure"] is True
    assert result["session_cookie_secure"] is True
    assert result["hsts"] == "max-age=3600"


def test_https_proxy_login_fails_without_them(run_python: RunPython) -> None:
    # Issue 19's report: only the allowed host set, the login through HTTPS is refused.
    env = {**BASE, "DJANGO_ALLOWED_HOSTS": "blog.example.com"}
    result = log_in(run_python, env, THROUGH_PROXY)
    assert result["status"] == 403
    assert "Origin checking failed - https://blog.example.com does not match" in str(result["log"])


def test_a_foreign_origin_is_still_refused(run_python: RunPython) -> None:
    request = {**THROUGH_PROXY, "origin": "https://attacker.example.net"}
    result = log_in(run_python, HTTPS_BEHIND_PROXY, request)
    assert result["status"] == 403
    assert "Origin checking failed - https://attacker.example.net" in str(result["log"])


def test_trusted_origin_alone_without_the_proxy_header(run_python: RunPython) -> None:
    # A proxy that does not say X-Forwarded-Proto: the trusted origin still lets the login
    # through, but Django sees plain HTTP and sends no HSTS.
    env = {k: v for k, v in HTTPS_BEHIND_PROXY.items() if k != "DJANGO_SECURE_PROXY_SSL_HEADER"}
    result = log_in(run_python, env, {**THROUGH_PROXY, "forwarded_proto": ""})
    assert result["status"] == 302
    assert result["hsts"] == ""
