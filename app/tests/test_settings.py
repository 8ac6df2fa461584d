"""Settings come from the environment, secrets from files, and bad input stops the start."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from blog_site import env
from tests.support import RunPython

SHOW = (
    "import json; from blog_site import settings as s; "
    "db = s.DATABASES['default']; "
    "print(json.dumps({'debug': s.DEBUG, 'secret': s.SECRET_KEY, 'hosts': s.ALLOWED_HOSTS, "
    "'origins': s.CSRF_TRUSTED_ORIGINS, 'tz': s.TIME_ZONE, 'use_tz': s.USE_TZ, "
    "'engine': db['ENGINE'], 'host': db.get('HOST'), 'port': db.get('PORT'), "
    "'name': db['NAME'], 'user': db.get('USER'), 'password': db.get('PASSWORD'), "
    "'options': db.get('OPTIONS'), 'max_age': db['CONN_MAX_AGE'], "
    "'health_checks': db['CONN_HEALTH_CHECKS'], 'static_root': str(s.STATIC_ROOT)}))"
)
KEY = "a-test-secret-key"
SECRET = {"DJANGO_SECRET_KEY": KEY}
# Fake credentials, written to the environment or a file and expected back.
ENV_DB_PASSWORD = "from-env"  # noqa: S105
FILE_DB_PASSWORD = "s3cret from file"  # noqa: S105
FILE_KEY = "key-from-file"


def settings_in(run_python: RunPython, env: dict[str, str]) -> dict[str, object]:
    proc = run_python("-c", SHOW, env=env)
    assert proc.returncode == 0, proc.stderr
    loaded: dict[str, object] = json.loads(proc.stdout)
    return loaded


def test_start_without_secret_key_fails_clearly(run_python: RunPython) -> None:
    proc = run_python("manage.py", "check", env={})
    assert proc.returncode != 0
    assert "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) must be set" in proc.stderr


def test_debug_runs_without_secret_key(run_python: RunPython) -> None:
    loaded = settings_in(run_python, {"DJANGO_DEBUG": "true"})
    assert loaded["debug"] is True
    assert loaded["secret"]


def test_defaults_for_production(run_python: RunPython) -> None:
    loaded = settings_in(run_python, SECRET)
    assert loaded["debug"] is False
    assert loaded["secret"] == KEY
    assert loaded["hosts"] == ["localhost", "127.0.0.1"]
    assert loaded["origins"] == []
    assert loaded["tz"] == "UTC"
    assert loaded["use_tz"] is True
    assert loaded["engine"] == "django.db.backends.mysql"
    assert (loaded["host"], loaded["port"], loaded["name"], loaded["user"]) == (
        "db",
        3306,
        "blog",
        "blog",
    )
    assert loaded["options"] == {
        "charset": "utf8mb4",
        "init_command": "SET sql_mode='STRICT_TRANS_TABLES'",
        "connect_timeout": 5,
    }
    assert loaded["max_age"] == 60
    assert loaded["health_checks"] is True
    assert str(loaded["static_root"]).endswith("/staticfiles")


def test_everything_is_read_from_the_environment(run_python: RunPython) -> None:
    loaded = settings_in(
        run_python,
        {
            **SECRET,
            "DJANGO_ALLOWED_HOSTS": " blog.example.com , 10.0.0.5,",
            "DJANGO_CSRF_TRUSTED_ORIGINS": "https://blog.example.com",
            "TZ": "Europe/Berlin",
            "DB_HOST": "mysql.internal",
            "DB_PORT": "3307",
            "DB_NAME": "posts",
            "DB_USER": "writer",
            "DB_PASSWORD": ENV_DB_PASSWORD,
        },
    )
    assert loaded["hosts"] == ["blog.example.com", "10.0.0.5"]
    assert loaded["origins"] == ["https://blog.example.com"]
    assert loaded["tz"] == "Europe/Berlin"
    assert (loaded["host"], loaded["port"], loaded["name"], loaded["user"]) == (
        "mysql.internal",
        3307,
        "posts",
        "writer",
    )
    assert loaded["password"] == ENV_DB_PASSWORD


def test_django_time_zone_wins_over_tz(run_python: RunPython) -> None:
    loaded = settings_in(run_python, {**SECRET, "TZ": "Europe/Berlin", "DJANGO_TIME_ZONE": "UTC"})
    assert loaded["tz"] == "UTC"


def test_passwords_and_key_are_read_from_files(run_python: RunPython, tmp_path: Path) -> None:
    (tmp_path / "db_password").write_text(f"{FILE_DB_PASSWORD}\n", encoding="utf-8")
    (tmp_path / "secret_key").write_text(FILE_KEY, encoding="utf-8")
    loaded = settings_in(
        run_python,
        {
            "DB_PASSWORD_FILE": str(tmp_path / "db_password"),
            "DJANGO_SECRET_KEY_FILE": str(tmp_path / "secret_key"),
        },
    )
    assert loaded["password"] == FILE_DB_PASSWORD
    assert loaded["secret"] == FILE_KEY


def test_sqlite_engine(run_python: RunPython, tmp_path: Path) -> None:
    loaded = settings_in(
        run_python, {**SECRET, "DB_ENGINE": "sqlite", "DB_NAME": str(tmp_path / "blog.sqlite3")}
    )
    assert loaded["engine"] == "django.db.backends.sqlite3"
    assert loaded["name"] == str(tmp_path / "blog.sqlite3")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DB_ENGINE": "postgres"}, "DB_ENGINE must be 'mysql' or 'sqlite'"),
        ({"DB_PORT": "three"}, "DB_PORT must be an integer"),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG must be one of"),
        ({"DJANGO_CSRF_TRUSTED_ORIGINS": "blog.example.com"}, "need a scheme"),
        ({"DJANGO_HTTPS": "1", "DJANGO_HSTS_SECONDS": "-1"}, "DJANGO_HSTS_SECONDS must be 0"),
        ({"DJANGO_SECURE_PROXY_SSL_HEADER": "perhaps"}, "DJANGO_SECURE_PROXY_SSL_HEADER must be"),
        ({"DB_PASSWORD_FILE": "/nonexistent/db_password"}, "DB_PASSWORD_FILE=/nonexistent"),
    ],
)
def test_bad_settings_stop_the_start(
    run_python: RunPython, env: dict[str, str], message: str
) -> None:
    proc = run_python("manage.py", "check", env={**SECRET, **env})
    assert proc.returncode != 0
    assert message in proc.stderr


def test_secret_and_its_file_together_are_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret_file = tmp_path / "password"
    secret_file.write_text("one", encoding="utf-8")
    monkeypatch.setenv("DB_PASSWORD", "two")
    monkeypatch.setenv("DB_PASSWORD_FILE", str(secret_file))
    with pytest.raises(ImproperlyConfigured, match="either DB_PASSWORD or DB_PASSWORD_FILE"):
        env.get_secret("DB_PASSWORD")


def test_unreadable_secret_file_error_names_the_path_not_the_content(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DB_PASSWORD", raising=False)
    monkeypatch.setenv("DB_PASSWORD_FILE", str(tmp_path))  # a directory cannot be read
    with pytest.raises(ImproperlyConfigured, match=f"DB_PASSWORD_FILE={tmp_path}"):
        env.get_secret("DB_PASSWORD")


def test_empty_variables_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_PASSWORD", "")
    monkeypatch.setenv("DB_PASSWORD_FILE", "")
    monkeypatch.setenv("DB_PORT", "")
    assert env.get_secret("DB_PASSWORD") is None
    assert env.get_int("DB_PORT", 3306) == 3306


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("On", True), ("no", False)])
def test_booleans(monkeypatch: pytest.MonkeyPatch, raw: str, *, expected: bool) -> None:
    monkeypatch.setenv("DJANGO_DEBUG", raw)
    assert env.get_bool("DJANGO_DEBUG", default=not expected) is expected
