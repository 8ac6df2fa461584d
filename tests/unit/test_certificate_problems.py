"""certificate_problems: the HTTPS front's certificate and key, checked before any change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from certificates import issue
from tls_rules import certificate_problems, covers

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def test_a_current_certificate_for_the_name_with_its_key_passes() -> None:
    cert, key = issue(start=NOW - timedelta(days=10), end=NOW + timedelta(days=80))
    assert certificate_problems(cert, key, "blog.example.com", NOW) == []


def test_the_chain_after_the_servers_certificate_is_accepted() -> None:
    cert, key = issue(start=NOW - timedelta(days=10), end=NOW + timedelta(days=80))
    chain, _ = issue(("Lab CA",), NOW - timedelta(days=1), NOW + timedelta(days=9))
    assert certificate_problems(cert + chain, key, "blog.example.com", NOW) == []


def test_an_expired_certificate_is_refused_with_its_date() -> None:
    cert, key = issue(start=NOW - timedelta(days=90), end=NOW - timedelta(days=2))
    assert certificate_problems(cert, key, "blog.example.com", NOW) == [
        "django_stack_tls_certificate expired on 2026-12-01"
    ]


def test_a_certificate_not_valid_yet_points_at_the_clock() -> None:
    cert, key = issue(start=NOW + timedelta(hours=3), end=NOW + timedelta(days=90))
    (problem,) = certificate_problems(cert, key, "blog.example.com", NOW.isoformat())
    assert "is not valid before 2026-12-03 15:00 UTC" in problem and "clock" in problem


def test_a_certificate_for_another_name_is_refused_naming_both() -> None:
    cert, key = issue(
        ("www.example.org", "example.org"), NOW - timedelta(days=1), NOW + timedelta(days=9)
    )
    assert certificate_problems(cert, key, "blog.example.com", NOW) == [
        "django_stack_tls_certificate is not for blog.example.com"
        " (it is for www.example.org, example.org)"
    ]


def test_a_certificate_without_subject_alternative_names_is_refused() -> None:
    cert, key = issue((), NOW - timedelta(days=1), NOW + timedelta(days=9))
    (problem,) = certificate_problems(cert, key, "blog.example.com", NOW)
    assert "no DNS name" in problem


def test_another_certificates_key_is_refused_and_never_printed() -> None:
    cert, _ = issue(start=NOW - timedelta(days=10), end=NOW + timedelta(days=80))
    _, other = issue(start=NOW - timedelta(days=10), end=NOW + timedelta(days=80))
    problems = certificate_problems(cert, other, "blog.example.com", NOW)
    assert problems == ["django_stack_tls_key is not the key of django_stack_tls_certificate"]
    assert not any("PRIVATE" in p for p in problems)


@pytest.mark.parametrize(
    ("certificate", "key", "said"),
    [
        ("change this: the PEM", "", "is not a PEM certificate"),
        ("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "", "not a PEM"),
        (None, None, "is not a PEM certificate"),
    ],
)
def test_what_is_not_a_certificate_is_said_so(certificate: str, key: str, said: str) -> None:
    assert said in certificate_problems(certificate, key, "blog.example.com", NOW)[0]


def test_a_key_that_is_not_pem_is_refused() -> None:
    cert, _ = issue(start=NOW - timedelta(days=10), end=NOW + timedelta(days=80))
    assert certificate_problems(cert, "not a key", "blog.example.com", NOW) == [
        "django_stack_tls_key is not an unencrypted PEM private key"
    ]


@pytest.mark.parametrize(
    ("pattern", "host", "matches"),
    [
        ("blog.example.com", "BLOG.example.com.", True),
        ("*.example.com", "blog.example.com", True),
        ("*.example.com", "example.com", False),
        ("*.example.com", "a.blog.example.com", False),
        ("example.com", "blog.example.com", False),
    ],
)
def test_names_match_exactly_or_by_one_wildcard_label(
    pattern: str, host: str, matches: bool
) -> None:
    assert covers(pattern, host) is matches


def test_without_a_host_name_only_the_certificate_itself_is_checked() -> None:
    cert, key = issue(start=NOW - timedelta(days=1), end=NOW + timedelta(days=9))
    assert certificate_problems(cert, key, None, NOW) == []
