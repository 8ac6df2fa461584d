"""openpgp_fingerprint agrees with gpg and refuses what is not a public key."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest
from openpgp import (
    OpenPGPError,
    dearmor,
    normalize_fingerprint,
    openpgp_fingerprint,
    openpgp_fingerprints,
    openpgp_single_key,
)


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
    with pytest.raises(OpenPGPError, match="signature packet comes before any public key"):
        openpgp_fingerprint(armor(bytes([0xC2, 3, 4, 0, 0])))


def test_fingerprints_are_normalized_as_users_write_them() -> None:
    assert (
        normalize_fingerprint("9dc8 5822 9FC7 DD38 854A  E2D8 8D81 803C 0EBF CD88")
        == "9DC858229FC7DD38854AE2D88D81803C0EBFCD88"
    )


@pytest.fixture(scope="module")
def two_keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A keyring holding a trusted key and a hostile one, and their fingerprints."""
    home = tmp_path_factory.mktemp("gnupg2")
    home.chmod(0o700)
    for uid in ("trusted <t@example.invalid>", "hostile <h@example.invalid>"):
        gpg(home, "--passphrase", "", "--quick-gen-key", uid, "rsa2048", "sign", "never")
    colons = gpg(home, "--list-keys", "--with-colons")
    lines = colons.splitlines()
    fprs = [lines[i + 1].split(":")[9] for i, line in enumerate(lines) if line.startswith("pub:")]
    return home, fprs[0], fprs[1]


@pytest.mark.parametrize("layout", ["one block", "two blocks"])
def test_a_second_hostile_key_is_seen(two_keys: tuple[Path, str, str], layout: str) -> None:
    home, trusted, hostile = two_keys
    if layout == "one block":
        text = gpg(home, "--armor", "--export", trusted, hostile)
    else:
        text = gpg(home, "--armor", "--export", trusted) + gpg(home, "--armor", "--export", hostile)
    assert openpgp_fingerprints(text) == [trusted, hostile]
    with pytest.raises(OpenPGPError, match="holds 2 primary keys"):
        openpgp_fingerprint(text)
    with pytest.raises(OpenPGPError, match="not exactly one"):
        openpgp_single_key(text)


def test_the_single_key_written_out_is_the_verified_one_alone(
    two_keys: tuple[Path, str, str], tmp_path: Path
) -> None:
    home, trusted, hostile = two_keys
    exported = gpg(home, "--armor", "--export", trusted)
    commented = exported.replace("-----\n", "-----\nComment: from a mirror\n", 1)
    written = openpgp_single_key("some preamble\n" + commented)
    assert "Comment" not in written and "preamble" not in written
    keyring = tmp_path / "keyring.asc"
    keyring.write_text(written)
    # gpg reads it back as the trusted key with its user ID, and nothing else.
    shown = gpg(tmp_path, "--show-keys", "--with-colons", str(keyring))
    assert next(x.split(":")[9] for x in shown.splitlines() if x.startswith("fpr:")) == trusted
    assert hostile not in shown and "trusted <t@example.invalid>" in shown
    # gpgv with the written key as keyring (as apt dearmors a Signed-By .asc) verifies the
    # trusted key's signature and refuses the hostile key's (what a two-key file allowed).
    binary = tmp_path / "keyring.gpg"
    gpg(tmp_path, "--yes", "--output", str(binary), "--dearmor", str(keyring))
    payload = tmp_path / "Release"
    payload.write_text("Origin: lab\n")
    for signer, accepted in ((trusted, True), (hostile, False)):
        sig = tmp_path / f"{signer}.sig"
        gpg(home, "--yes", "--local-user", signer, "--output", str(sig), "--detach-sign",
            str(payload))  # fmt: skip
        gpgv = subprocess.run(["gpgv", "--keyring", str(binary), str(sig), str(payload)],
                              capture_output=True, text=True, check=False)  # fmt: skip
        assert (gpgv.returncode == 0) is accepted, gpgv.stderr


@pytest.mark.parametrize(
    ("packet", "message"),
    [
        (bytes([0xC5, 1, 4]), "tag 5 is not part of a public key"),  # a secret key
        (bytes([0xCB, 1, 0]), "tag 11 is not part of a public key"),  # literal data
    ],
)
def test_packets_that_are_no_part_of_a_public_key_are_refused(
    generated_key: tuple[str, str], packet: bytes, message: str
) -> None:
    armored, _ = generated_key
    with pytest.raises(OpenPGPError, match=message):
        openpgp_fingerprints(armor(dearmor(armored) + packet))
