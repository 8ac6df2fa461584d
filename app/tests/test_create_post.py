"""manage.py create_post: creates a post once, then reports it and leaves it alone."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from posts.models import Post
from tests.support import RunPython


def create_post(**options: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_post", stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_creates_a_post_and_prints_its_slug() -> None:
    out, err = create_post(title="Hello from Ansible", body="Deployed.")

    assert out == "hello-from-ansible\n"
    assert "Created post 'hello-from-ansible'." in err
    post = Post.objects.get()
    assert (post.title, post.slug, post.body) == (
        "Hello from Ansible",
        "hello-from-ansible",
        "Deployed.",
    )
    assert post.published_at is not None


@pytest.mark.django_db
def test_same_slug_leaves_the_post_unchanged() -> None:
    create_post(title="First title", body="First body", slug="fixed-slug")

    out, err = create_post(title="Second title", body="Second body", slug="fixed-slug")

    assert out == "fixed-slug\n"
    assert "already exists; left unchanged" in err
    post = Post.objects.get()
    assert (post.title, post.body) == ("First title", "First body")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"title": "!!!", "body": "x"}, "cannot make a slug"),
        ({"title": "T", "body": "x", "slug": "not a slug"}, "invalid post: slug"),
        ({"title": "T" * 201, "body": "x", "slug": "long"}, "invalid post: title"),
    ],
)
def test_bad_input_is_refused(options: dict[str, str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        create_post(**options)
    assert not Post.objects.exists()


def test_through_manage_py_as_the_deployment_calls_it(
    run_python: RunPython, tmp_path: Path
) -> None:
    env = {
        "DB_ENGINE": "sqlite",
        "DB_NAME": str(tmp_path / "blog.sqlite3"),
        "DJANGO_SECRET_KEY": "a-test-secret-key",
    }
    migrate = run_python("manage.py", "migrate", "--noinput", env=env)
    assert migrate.returncode == 0, migrate.stderr
    argv = ("manage.py", "create_post", "--title", "Smoke test", "--body", "It works.")

    first = run_python(*argv, env=env)
    second = run_python(*argv, env=env)

    assert (first.returncode, first.stdout) == (0, "smoke-test\n"), first.stderr
    assert "Created post" in first.stderr
    assert (second.returncode, second.stdout) == (0, "smoke-test\n"), second.stderr
    assert "left unchanged" in second.stderr
