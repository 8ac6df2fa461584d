"""stack_input_problems: django_stack's plain settings, refused case by case."""

from __future__ import annotations

from typing import Any

import pytest
from stack_rules import stack_input_problems

GOOD: dict[str, Any] = {
    "django_stack_db_name": "blog",
    "django_stack_db_user": "blog",
    "django_stack_time_zone": "Asia/Shanghai",
    "django_stack_takeover_volume": "",
    "django_stack_takeover_containers": [],
    "django_stack_takeover_project": "",
    "django_stack_project_name": "blog",
    "django_stack_allowed_hosts": ["blog.example.com", ".example.com", "127.0.0.1", "[::1]", "*"],
    "django_stack_public_url": "https://blog.example.com",
    "django_stack_trusted_proxy": False,
    "django_stack_web_bind_address": "0.0.0.0",  # noqa: S104 - the value under test
    "django_stack_https_front": True,
}


NOT_FRONT = {"django_stack_https_front": False}


def problems(**changes: object) -> list[str]:
    return stack_input_problems({**GOOD, **changes})


def test_plain_settings_have_no_problem() -> None:
    assert problems() == []
    assert problems(django_stack_public_url="", **NOT_FRONT) == []
    assert (
        problems(
            django_stack_public_url="http://blog.example.com:8080/", django_stack_https_front=False
        )
        == []
    )
    assert problems(django_stack_time_zone="UTC", django_stack_db_name="a" * 64) == []
    assert problems(django_stack_takeover_volume="tutorial_mysql-data",
                    django_stack_takeover_containers=["mysql", "django.1"],
                    django_stack_takeover_project="tutorial") == []  # fmt: skip


NAME_HINT = "(letters, digits, _; up to {})"
ZONE_HINT = "(a zone name such as Asia/Shanghai)"
HOST_HINT = "(a host name, .domain, an address or *)"
URL_HINT = "(http:// or https://, a host name, an optional port, no path)"
PROJECT_HINT = "(a Compose project name: lower-case letters, digits, _ and -)"
CASES: list[tuple[dict[str, Any], str]] = [
    (
        {"django_stack_db_name": "blog'; DROP DATABASE x; --"},
        'django_stack_db_name "blog\'; DROP DATABASE x; --" ' + NAME_HINT.format(64),
    ),
    (
        {"django_stack_db_name": "a" * 65},
        f'django_stack_db_name "{"a" * 65}" ' + NAME_HINT.format(64),
    ),
    ({"django_stack_db_name": None}, "django_stack_db_name null " + NAME_HINT.format(64)),
    (
        {"django_stack_db_user": "a" * 33},
        f'django_stack_db_user "{"a" * 33}" ' + NAME_HINT.format(32),
    ),
    (
        {"django_stack_db_user": 'blog" x'},
        'django_stack_db_user "blog\\" x" ' + NAME_HINT.format(32),
    ),
    (
        {"django_stack_time_zone": "Asia/Shanghai\nx: 1"},
        'django_stack_time_zone "Asia/Shanghai\\nx: 1" ' + ZONE_HINT,
    ),
    # A trailing newline too: the whole value must match, not its first line.
    ({"django_stack_time_zone": "UTC\n"}, 'django_stack_time_zone "UTC\\n" ' + ZONE_HINT),
    (
        {"django_stack_takeover_volume": "mysql-data; rm -rf /"},
        'django_stack_takeover_volume "mysql-data; rm -rf /" (a volume name)',
    ),
    (
        {"django_stack_takeover_containers": ["mysql", "a b"]},
        'django_stack_takeover_containers entry "a b" (a container name)',
    ),
    (
        {"django_stack_takeover_project": "Tutorial!"},
        'django_stack_takeover_project "Tutorial!" ' + PROJECT_HINT,
    ),
    (
        {"django_stack_takeover_project": "blog"},
        "django_stack_takeover_project is django_stack_project_name (blog): the project to"
        " retire must be another one; give the stack another django_stack_project_name",
    ),
    (
        {"django_stack_allowed_hosts": ["blog.example.com", "a,b"]},
        'django_stack_allowed_hosts entry "a,b" ' + HOST_HINT,
    ),
    # One host given as a string is one entry, not a list of its characters.
    ({"django_stack_allowed_hosts": "a b"}, 'django_stack_allowed_hosts entry "a b" ' + HOST_HINT),
    (
        {"django_stack_public_url": "blog.example.com", **NOT_FRONT},
        'django_stack_public_url "blog.example.com" ' + URL_HINT,
    ),
    (
        {"django_stack_public_url": "https://example.com/blog/"},
        'django_stack_public_url "https://example.com/blog/" ' + URL_HINT,
    ),
    (
        {"django_stack_trusted_proxy": True, **NOT_FRONT},
        "django_stack_trusted_proxy with django_stack_web_bind_address 0.0.0.0 (anyone"
        " reaching the port could claim HTTPS: bind the web container to 127.0.0.1 or the"
        " address only the proxy reaches)",
    ),
    (
        {"django_stack_public_url": "http://blog.example.com"},
        "django_stack_https_front without an https django_stack_public_url (the name its"
        " certificate is for)",
    ),
]


@pytest.mark.parametrize(("changes", "expected"), CASES)
def test_each_setting_that_is_not_plain_is_named_with_its_value(
    changes: dict[str, Any], expected: str
) -> None:
    assert problems(**changes) == [expected]


def test_a_trusted_proxy_on_a_private_address_is_fine() -> None:
    private = {"django_stack_https_front": False, "django_stack_trusted_proxy": True}
    assert problems(**private, django_stack_web_bind_address="127.0.0.1") == []
    assert len(problems(**private, django_stack_web_bind_address="::")) == 1


def test_every_problem_is_named_in_one_list() -> None:
    found = problems(django_stack_db_name="", django_stack_db_user="", django_stack_public_url="x")
    named = [line.split()[0] for line in found]
    assert named == [
        "django_stack_db_name",
        "django_stack_db_user",
        "django_stack_public_url",
        "django_stack_https_front",
    ]
