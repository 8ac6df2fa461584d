"""Settings of the blog, read entirely from the environment (see README.md for the table)."""

from __future__ import annotations

from pathlib import Path

import pymysql
from django.core.exceptions import ImproperlyConfigured

from blog_site import env

# Django's mysql backend imports MySQLdb; PyMySQL stands in for it (no C client needed).
pymysql.install_as_MySQLdb()

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env.get_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.get_secret("DJANGO_SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) must be set when DJANGO_DEBUG is off"
        )
    SECRET_KEY = "django-insecure-development-only-key"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env.get_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env.get_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")
for _origin in CSRF_TRUSTED_ORIGINS:
    if not _origin.startswith(("http://", "https://")):
        raise ImproperlyConfigured(
            f"DJANGO_CSRF_TRUSTED_ORIGINS items need a scheme (https://host), got {_origin!r}"
        )

# Behind a reverse proxy that terminates TLS: trust its X-Forwarded-Proto (and only set this
# when such a proxy is the sole way in, since a client could send the header itself).
if env.get_bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The site is served over HTTPS: cookies only over HTTPS, and HSTS on secure responses.
HTTPS = env.get_bool("DJANGO_HTTPS", default=False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.get_int("DJANGO_HSTS_SECONDS", 0) if HTTPS else 0
if SECURE_HSTS_SECONDS < 0:
    raise ImproperlyConfigured("DJANGO_HSTS_SECONDS must be 0 or more")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "posts",
]

MIDDLEWARE = [
    # Outermost: every answer names the release that gave it (the health check's included).
    "blog_site.release.ReleaseHeaderMiddleware",
    # Next, so the container's health probe is answered whatever ALLOWED_HOSTS says.
    "blog_site.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "blog_site.urls"
WSGI_APPLICATION = "blog_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: MySQL 8 / MariaDB 10.11+ through PyMySQL, or SQLite for tests and development.
DB_ENGINE = env.get_str("DB_ENGINE", "mysql")
if DB_ENGINE == "mysql":
    _database: dict[str, object] = {
        "ENGINE": "django.db.backends.mysql",
        "HOST": env.get_str("DB_HOST", "db"),
        "PORT": env.get_int("DB_PORT", 3306),
        "NAME": env.get_str("DB_NAME", "blog"),
        "USER": env.get_str("DB_USER", "blog"),
        "PASSWORD": env.get_secret("DB_PASSWORD") or "",
        "OPTIONS": {
            "charset": "utf8mb4",
            "init_command": "SET sql_mode='STRICT_TRANS_TABLES'",
            # Bounded, so /healthz answers 503 in time when the server is unreachable.
            "connect_timeout": env.get_int("DB_CONNECT_TIMEOUT", 5),
        },
        "TEST": {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"},
    }
elif DB_ENGINE == "sqlite":
    _database = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env.get_str("DB_NAME", str(BASE_DIR / "db.sqlite3")),
    }
else:
    raise ImproperlyConfigured(f"DB_ENGINE must be 'mysql' or 'sqlite', got {DB_ENGINE!r}")
_database["CONN_MAX_AGE"] = env.get_int("DB_CONN_MAX_AGE", 60)
_database["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _database}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.get_str("DJANGO_TIME_ZONE", env.get_str("TZ", "UTC"))
USE_I18N = True
USE_TZ = True

# Static files: collected into STATIC_ROOT when the image is built, served by WhiteNoise.
STATIC_URL = "static/"
STATIC_ROOT = Path(env.get_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Everything to stdout, where `docker logs` finds it.
LOG_LEVEL = env.get_str("DJANGO_LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "{asctime} {levelname} {name} {message}", "style": "{"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "plain",
        },
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["stdout"], "level": LOG_LEVEL, "propagate": False},
    },
}
