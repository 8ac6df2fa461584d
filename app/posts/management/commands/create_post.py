"""manage.py create_post --title T --body B [--slug S]: add a post unless its slug exists.

Prints the slug on stdout, and on stderr whether the post was created or left as it was,
so that a caller (an Ansible task through `docker compose exec -T`) can tell a change.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from posts.models import Post


class Command(BaseCommand):
    help = "Create a post; with the slug of an existing post, leave that post unchanged."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--title", required=True, help="title of the post")
        parser.add_argument("--body", required=True, help="text of the post")
        parser.add_argument("--slug", help="URL name of the post (default: from the title)")

    def handle(self, *args: Any, **options: Any) -> None:  # noqa: ANN401 - Django's signature
        title: str = options["title"]
        body: str = options["body"]
        slug: str = options["slug"] or slugify(title)
        if not slug:
            raise CommandError("cannot make a slug from this title: pass --slug")

        candidate = Post(title=title, slug=slug, body=body)
        try:
            candidate.full_clean(validate_unique=False)
        except ValidationError as exc:
            details = "; ".join(
                f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items()
            )
            raise CommandError(f"invalid post: {details}") from None

        _, created = Post.objects.get_or_create(slug=slug, defaults={"title": title, "body": body})
        if created:
            self.stderr.write(f"Created post {slug!r}.")
        else:
            self.stderr.write(f"Post {slug!r} already exists; left unchanged.")
        self.stdout.write(slug)
