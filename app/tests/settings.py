"""The real settings, read with the environment of the test suite: SQLite, a test key."""

import os

os.environ["DB_ENGINE"] = "sqlite"
os.environ["DB_NAME"] = ":memory:"
os.environ["DJANGO_DEBUG"] = "0"
os.environ["DJANGO_SECRET_KEY"] = "test-only-secret-key"  # noqa: S105
os.environ.pop("DJANGO_SECRET_KEY_FILE", None)

from blog_site.settings import *  # noqa: F403
