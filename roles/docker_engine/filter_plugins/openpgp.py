"""openpgp_fingerprint: the primary-key fingerprint of an ASCII-armored OpenPGP key.

The engine role checks a downloaded repository key against a fingerprint the user
trusts before apt or dnf is told to trust the key. Doing it on the controller in pure
Python spares the target host a gnupg install just to read one number.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable

PUBLIC_KEY_TAG = 6


class OpenPGPError(ValueError):
    """The text is not an ASCII-armored OpenPGP public key this filter can read."""


def dearmor(text: str) -> bytes:
    """The binary packets inside an ASCII-armored block."""
    lines = [line.strip() for line in text.strip().splitlines()]
    try:
        start = lines.index("-----BEGIN PGP PUBLIC KEY BLOCK-----")
        end = lines.index("-----END PGP PUBLIC KEY BLOCK-----", start)
    except ValueError as exc:
        raise OpenPGPError("no 'BEGIN PGP PUBLIC KEY BLOCK' armor found") from exc
    body = lines[start + 1 : end]
    # Armor headers (e.g. "Comment: ...") end at the first blank line.
    if "" in body:
        body = body[body.index("") + 1 :]
    data = "".join(line for line in body if not line.startswith("="))
    try:
        return base64.b64decode(data, validate=True)
    except binascii.Error as exc:
        raise OpenPGPError(f"armored data is not valid base64: {exc}") from exc


def first_packet(data: bytes) -> tuple[int, bytes]:
    """(tag, body) of the first packet, old or new header format (RFC 4880 4.2)."""
    if not data or not data[0] & 0x80:
        raise OpenPGPError("data does not start with an OpenPGP packet")
    header = data[0]
    if header & 0x40:  # new format
        tag = header & 0x3F
        first = data[1]
        if first < 192:
            length, offset = first, 2
        elif first < 224:
            length, offset = ((first - 192) << 8) + data[2] + 192, 3
        elif first == 255:
            length, offset = int.from_bytes(data[2:6], "big"), 6
        else:
            raise OpenPGPError("partial body lengths are not valid for a key packet")
    else:  # old format
        tag = (header >> 2) & 0x0F
        size = {0: 1, 1: 2, 2: 4}.get(header & 0x03)
        if size is None:
            raise OpenPGPError("indeterminate packet length is not valid for a key")
        length, offset = int.from_bytes(data[1 : 1 + size], "big"), 1 + size
    body = data[offset : offset + length]
    if len(body) != length:
        raise OpenPGPError("key packet is truncated")
    return tag, body


def openpgp_fingerprint(text: str) -> str:
    """Upper-case hex v4 fingerprint of the primary key in an armored public key."""
    tag, body = first_packet(dearmor(text))
    if tag != PUBLIC_KEY_TAG:
        raise OpenPGPError(f"first packet has tag {tag}, not a public key (6)")
    if body[0] != 4:
        raise OpenPGPError(f"key version {body[0]} is not supported (only v4)")
    digest = hashlib.sha1(b"\x99" + len(body).to_bytes(2, "big") + body, usedforsecurity=False)
    return digest.hexdigest().upper()


def normalize_fingerprint(value: str) -> str:
    """A fingerprint as users write it ("9DC8 5822 ...", lower case) in canonical form."""
    return "".join(value.split()).upper()


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Callable[[str], str]]:
        return {
            "openpgp_fingerprint": openpgp_fingerprint,
            "normalize_fingerprint": normalize_fingerprint,
        }
