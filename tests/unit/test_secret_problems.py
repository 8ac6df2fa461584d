"""secret_problems: weak, short, repeated and shared secrets named, values never."""

from __future__ import annotations

import pytest
from secret_rules import secret_problems

WEAK = ["123456", "changeme", "password"]
STRONG = {
    "django_stack_db_password": "k3Jv9-correct-horse-battery",
    "django_stack_db_root_password": "Zq8r-another-long-random-one",
    "django_stack_secret_key": "a-fifty-character-django-secret-key-value-0123456",
}


def test_strong_distinct_secrets_pass() -> None:
    assert secret_problems(STRONG, 20, WEAK) == []


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "django_stack_db_password is not set"),
        (None, "django_stack_db_password is not set"),
        ("123456", "django_stack_db_password is a well-known default"),
        ("ChangeMe", "django_stack_db_password is a well-known default"),
        ("short-but-random", "django_stack_db_password is shorter than 20 characters"),
        ("a" * 30, "django_stack_db_password repeats fewer than 5 distinct characters"),
        (
            "12341234123412341234",
            "django_stack_db_password repeats fewer than 5 distinct characters",
        ),
    ],
)
def test_each_rule_names_the_variable_and_never_the_value(value: str | None, problem: str) -> None:
    problems = secret_problems({**STRONG, "django_stack_db_password": value}, 20, WEAK)
    assert problems == [problem]
    assert all(str(value) not in line for line in problems if value)


def test_a_secret_shared_by_two_variables_is_named_with_the_first() -> None:
    shared = {**STRONG, "django_stack_db_root_password": STRONG["django_stack_db_password"]}
    assert secret_problems(shared, 20, WEAK) == [
        "django_stack_db_root_password is the same value as django_stack_db_password"
    ]


def test_the_minimum_length_is_the_callers() -> None:
    assert secret_problems({"x": "a-random-16-char"}, 16) == []
    assert secret_problems({"x": "a-random-16-char"}, 17) == ["x is shorter than 17 characters"]
