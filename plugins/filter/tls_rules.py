"""What is wrong with the HTTPS front's certificate and key, said without the key.

django_stack refuses, before any change on a host, a certificate the front would serve to
readers' browsers as an error: one that is not PEM, expired or not valid yet, not issued
for the public name, or whose private key is another certificate's. The first certificate
of the file is the server's own; any after it are the chain, sent as given.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

# cryptography is a dependency of ansible-core, so it is there wherever the filter runs.
# Imported this way, the plugin also loads where it is not (ansible-test's import and
# ansible-doc sanity tests run in environments without it): the filter then says so.
try:
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
except ImportError as error:
    CRYPTOGRAPHY_MISSING: ImportError | None = error
else:
    CRYPTOGRAPHY_MISSING = None

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes

PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"


def _leaf(pem: str) -> x509.Certificate:
    start = pem.index(PEM_CERTIFICATE)
    return x509.load_pem_x509_certificate(pem[start:].encode())


def _key(pem: str) -> PrivateKeyTypes:
    return serialization.load_pem_private_key(pem.encode(), password=None)


def _spki(public: PublicKeyTypes) -> bytes:
    """The public key as DER SubjectPublicKeyInfo: equal for a certificate and its key."""
    return public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def names(certificate: x509.Certificate) -> list[str]:
    """The DNS names the certificate is for (its subject alternative names)."""
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return [str(name).lower() for name in extension.value.get_values_for_type(x509.DNSName)]


def covers(pattern: str, hostname: str) -> bool:
    """A certificate name matches the host: exactly, or as a wildcard for one label."""
    host = hostname.lower().rstrip(".")
    if pattern.startswith("*."):
        first, _dot, rest = host.partition(".")
        return bool(first) and rest == pattern[2:]
    return pattern == host


def certificate_problems(
    certificate: str, key: str, hostname: str | None, now: datetime | str | None = None
) -> list[str]:
    """One line per problem with the certificate and key for hostname; empty when none."""
    if CRYPTOGRAPHY_MISSING is not None:
        raise ImportError(
            "certificate_problems needs the Python package cryptography on the controller"
        ) from CRYPTOGRAPHY_MISSING
    moment = (
        datetime.fromisoformat(now) if isinstance(now, str) else now or datetime.now(UTC)
    ).astimezone(UTC)
    try:
        leaf = _leaf(certificate or "")
    except ValueError:
        return [
            "django_stack_tls_certificate is not a PEM certificate (-----BEGIN CERTIFICATE-----)"
        ]
    problems: list[str] = []
    if leaf.not_valid_after_utc < moment:
        problems.append(
            f"django_stack_tls_certificate expired on {leaf.not_valid_after_utc:%Y-%m-%d}"
        )
    if leaf.not_valid_before_utc > moment:
        problems.append(
            "django_stack_tls_certificate is not valid before"
            f" {leaf.not_valid_before_utc:%Y-%m-%d %H:%M} UTC (or this machine's clock is behind)"
        )
    listed = names(leaf)
    # No host name (a public URL refused on its own): nothing to match the certificate to.
    if hostname and not any(covers(pattern, hostname) for pattern in listed):
        problems.append(
            f"django_stack_tls_certificate is not for {hostname} (it is for "
            f"{', '.join(listed) or 'no DNS name: browsers need one in subjectAltName'})"
        )
    try:
        private = _key(key or "")
    except (ValueError, TypeError, UnsupportedAlgorithm):
        problems.append("django_stack_tls_key is not an unencrypted PEM private key")
    else:
        if _spki(private.public_key()) != _spki(leaf.public_key()):
            problems.append("django_stack_tls_key is not the key of django_stack_tls_certificate")
    return problems


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"certificate_problems": certificate_problems}
