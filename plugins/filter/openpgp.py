"""Reading a repository key the way the engine role must trust it: exactly one key.

The role checks a downloaded repository key against a fingerprint the user trusts before
apt or dnf is told to trust the key. A file can hold more than one key (in one armored
block or in several), and apt's Signed-By, rpm and gpgv trust every key in it: checking
the first key alone would let a second, hostile key ride along. So every packet of every
block is read, the file must hold exactly one transferable public key (one primary key
with its user IDs, subkeys and signatures, RFC 4880 11.1), and only that key is written
out again. Pure Python on the controller: no gnupg on the target just to read a number.

Filters:
- openpgp_fingerprints: the v4 fingerprints of every primary key in the text.
- openpgp_fingerprint: the fingerprint of the single key (refuses zero or several).
- openpgp_single_key: the single key re-armored from its own packets, nothing else.
- normalize_fingerprint: "9dc8 5822 ..." as "9DC85822...".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

PUBLIC_KEY_TAG = 6
# What a transferable public key is made of: signatures, the primary key, trust packets
# (GnuPG exports), user IDs, user attributes and subkeys.
KEY_PART_TAGS = {2: "signature", 6: "public key", 12: "trust", 13: "user ID",
                 14: "public subkey", 17: "user attribute"}  # fmt: skip
BEGIN = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
END = "-----END PGP PUBLIC KEY BLOCK-----"


class OpenPGPError(ValueError):
    """The text is not the ASCII-armored OpenPGP public key this filter accepts."""


def dearmor(text: str) -> bytes:
    """The binary packets of every armored public-key block in the text, in order."""
    lines = [line.strip() for line in text.strip().splitlines()]
    data = b""
    blocks = 0
    while BEGIN in lines:
        start = lines.index(BEGIN)
        try:
            end = lines.index(END, start)
        except ValueError as exc:
            raise OpenPGPError("a 'BEGIN PGP PUBLIC KEY BLOCK' armor is never ended") from exc
        body = lines[start + 1 : end]
        # Armor headers (e.g. "Comment: ...") end at the first blank line.
        if "" in body:
            body = body[body.index("") + 1 :]
        encoded = "".join(line for line in body if not line.startswith("="))
        try:
            data += base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise OpenPGPError(f"armored data is not valid base64: {exc}") from exc
        blocks += 1
        lines = lines[end + 1 :]
    if not blocks:
        raise OpenPGPError("no 'BEGIN PGP PUBLIC KEY BLOCK' armor found")
    return data


def packets(data: bytes) -> Iterator[tuple[int, bytes, bytes]]:
    """(tag, body, the packet's own bytes) of every packet, old or new header format
    (RFC 4880 4.2); partial and indeterminate lengths are not valid in a key."""
    offset = 0
    if not data:
        raise OpenPGPError("the armor holds no OpenPGP packet")
    while offset < len(data):
        header = data[offset]
        if not header & 0x80:
            raise OpenPGPError(f"byte {offset} does not start an OpenPGP packet")
        if header & 0x40:  # new format
            tag = header & 0x3F
            first = data[offset + 1] if offset + 1 < len(data) else 0
            if first < 192:
                length, start = first, offset + 2
            elif first < 224:
                length, start = ((first - 192) << 8) + data[offset + 2] + 192, offset + 3
            elif first == 255:
                length, start = int.from_bytes(data[offset + 2 : offset + 6], "big"), offset + 6
            else:
                raise OpenPGPError("partial body lengths are not valid in a key")
        else:  # old format
            tag = (header >> 2) & 0x0F
            size = {0: 1, 1: 2, 2: 4}.get(header & 0x03)
            if size is None:
                raise OpenPGPError("indeterminate packet length is not valid in a key")
            length = int.from_bytes(data[offset + 1 : offset + 1 + size], "big")
            start = offset + 1 + size
        body = data[start : start + length]
        if len(body) != length:
            raise OpenPGPError(f"packet at byte {offset} is truncated")
        yield tag, body, data[offset : start + length]
        offset = start + length


def fingerprint_of(body: bytes) -> str:
    if not body or body[0] != 4:
        raise OpenPGPError(f"key version {body[:1].hex() or 'none'} is not supported (only v4)")
    digest = hashlib.sha1(b"\x99" + len(body).to_bytes(2, "big") + body, usedforsecurity=False)
    return digest.hexdigest().upper()


def read_keys(text: str) -> list[tuple[str, bytes]]:
    """(fingerprint, its transferable key's packets) per primary key, refusing packets
    that are no part of a public key (a secret key, a message, a literal)."""
    keys: list[tuple[str, bytes]] = []
    for tag, body, raw in packets(dearmor(text)):
        if tag not in KEY_PART_TAGS:
            raise OpenPGPError(f"packet with tag {tag} is not part of a public key")
        if tag == PUBLIC_KEY_TAG:
            keys.append((fingerprint_of(body), raw))
        elif not keys:
            raise OpenPGPError(f"a {KEY_PART_TAGS[tag]} packet comes before any public key")
        else:
            keys[-1] = (keys[-1][0], keys[-1][1] + raw)
    return keys


def openpgp_fingerprints(text: str) -> list[str]:
    """Upper-case hex v4 fingerprints of every primary key in the text."""
    return [fingerprint for fingerprint, _packets in read_keys(text)]


def single_key(text: str) -> tuple[str, bytes]:
    keys = read_keys(text)
    if len(keys) != 1:
        found = ", ".join(fingerprint for fingerprint, _packets in keys) or "none"
        raise OpenPGPError(f"the file holds {len(keys)} primary keys ({found}), not exactly one")
    return keys[0]


def openpgp_fingerprint(text: str) -> str:
    """Fingerprint of the one key in the text; refuses a text with zero or several keys."""
    return single_key(text)[0]


def crc24(data: bytes) -> int:
    """The armor checksum (RFC 4880 6.1)."""
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _bit in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def openpgp_single_key(text: str) -> str:
    """The one key of the text, armored anew from its own packets: headers, comments and
    anything outside them are gone."""
    data = single_key(text)[1]
    lines = textwrap.wrap(base64.b64encode(data).decode(), 64)
    checksum = base64.b64encode(crc24(data).to_bytes(3, "big")).decode()
    return "\n".join([BEGIN, "", *lines, f"={checksum}", END, ""])


def normalize_fingerprint(value: str) -> str:
    """A fingerprint as users write it ("9DC8 5822 ...", lower case) in canonical form."""
    return "".join(value.split()).upper()


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "openpgp_fingerprints": openpgp_fingerprints,
            "openpgp_single_key": openpgp_single_key,
            "normalize_fingerprint": normalize_fingerprint,
        }
