"""openpgp_fingerprint agrees with gpg and refuses what is not a public key."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest
from openpgp import OpenPGPError, dearmor, normalize_fingerprint, openpgp_fingerprint


def gpg(home: Path, *args: str) -> str:
    return subprocess.run(
        ["gpg", "--batch", "--homedir", str(home), *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture(scope="module")
def generated_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """An armored public key made by gpg and the fingerprint gpg reports for it."""
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    gpg(
        home,
        "--passphrase",
        "",
        "--quick-gen-key",
        "test <t@example.invalid>",
        "rsa2048",
        "sign",
        "never",
    )
    colons = gpg(home, "--list-keys", "--with-colons")
    fpr = [line.split(":")[9] for line in colons.splitlines() if line.startswith("fpr:")]
    fingerprint = fpr[0]
    return gpg(home, "--armor", "--export", fingerprint), fingerprint


def test_fingerprint_matches_gpg(generated_key: tuple[str, str]) -> None:
    armored, fingerprint = generated_key
    assert openpgp_fingerprint(armored) == fingerprint


def test_armor_headers_and_surrounding_text_are_ignored(generated_key: tuple[str, str]) -> None:
    armored, fingerprint = generated_key
    with_header = armored.replace(
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n",
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\nComment: a mirror added this\n",
    )
    assert openpgp_fingerprint("preamble\n" + with_header + "\ntrailer") == fingerprint


def armor(data: bytes) -> str:
    return (
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n"
        + base64.b64encode(data).decode()
        + "\n-----END PGP PUBLIC KEY BLOCK-----\n"
    )


def test_tampered_key_gives_another_fingerprint(generated_key: tuple[str, str]) -> None:
    armored, fingerprint = generated_key
    data = bytearray(dearmor(armored))
    data[20] ^= 0xFF  # flip a byte inside the RSA modulus
    assert openpgp_fingerprint(armor(bytes(data))) != fingerprint


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not a key at all", "armor"),
        (
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!!\n-----END PGP PUBLIC KEY BLOCK-----",
            "base64",
        ),
        (
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----",
            "packet",
        ),
    ],
)
def test_garbage_is_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(OpenPGPError, match=message):
        openpgp_fingerprint(text)


def test_signature_packet_is_not_a_key() -> None:
    # new-format header, tag 2 (signature), 3-byte body
    with pytest.raises(OpenPGPError, match="not a public key"):
        openpgp_fingerprint(armor(bytes([0xC2, 3, 4, 0, 0])))


def test_fingerprints_are_normalized_as_users_write_them() -> None:
    assert (
        normalize_fingerprint("9dc8 5822 9FC7 DD38 854A  E2D8 8D81 803C 0EBF CD88")
        == "9DC858229FC7DD38854AE2D88D81803C0EBFCD88"
    )
