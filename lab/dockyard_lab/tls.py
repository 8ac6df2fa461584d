"""A certificate authority of the lab's own and a certificate for the examples' names.

The production example serves https://blog.example.com through the HTTPS front; in the lab
the certificate comes from this CA (trustme, made once per lab under .lab/tls), and the
tests trust the CA's certificate alone.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .run import log
from .services import STATE_DIR

if TYPE_CHECKING:
    import trustme

TLS_DIR = STATE_DIR / "tls"
CA_CERT = TLS_DIR / "ca.pem"
CA_KEY = TLS_DIR / "ca.key"
# The names the examples publish over HTTPS.
PUBLIC_NAMES = ("blog.example.com",)
# A server certificate's lifetime: within what browsers accept of any CA (825 days).
LIFETIME = datetime.timedelta(days=825)


def _write_private(path: Path, data: bytes) -> None:
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_bytes(data)


def ensure_ca() -> trustme.CA:
    """The lab's CA: made once, then read back from its files."""
    # Imported here: the lab's command line loads without the venv's packages (host-deps).
    import trustme

    if CA_CERT.exists() and CA_KEY.exists():
        return trustme.CA.from_pem(CA_CERT.read_bytes(), CA_KEY.read_bytes())
    TLS_DIR.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="dockyard lab", organization_unit_name="dockyard lab CA")
    _write_private(CA_KEY, ca.private_key_pem.bytes())
    CA_CERT.write_bytes(ca.cert_pem.bytes())
    log(f"lab CA made: {CA_CERT}")
    return ca


def paths(name: str) -> tuple[Path, Path]:
    """Where the certificate and the key of `name` are."""
    return TLS_DIR / f"{name}.pem", TLS_DIR / f"{name}.key"


def ensure_certificate(names: tuple[str, ...]) -> None:
    """A certificate for each name, signed by the lab CA, made when missing."""
    ca = ensure_ca()
    for name in names:
        cert, key = paths(name)
        if cert.exists() and key.exists():
            continue
        now = datetime.datetime.now(datetime.UTC)
        leaf = ca.issue_cert(
            name, not_before=now - datetime.timedelta(days=1), not_after=now + LIFETIME
        )
        _write_private(key, leaf.private_key_pem.bytes())
        cert.write_bytes(leaf.cert_chain_pems[0].bytes())
        log(f"lab certificate for {name}: {cert}")
