"""A certificate authority of the lab's own and a certificate for the examples' names.

The production example serves https://blog.example.com through the HTTPS front; in the lab
the certificate comes from this CA (openssl, made once per lab under .lab/tls), and the
tests trust the CA's certificate alone.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from .run import log
from .services import STATE_DIR

TLS_DIR = STATE_DIR / "tls"
CA_CERT = TLS_DIR / "ca.pem"
CA_KEY = TLS_DIR / "ca.key"
# The names the examples publish over HTTPS.
PUBLIC_NAMES = ("blog.example.com",)


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def ensure_ca() -> None:
    if CA_CERT.exists() and CA_KEY.exists():
        return
    TLS_DIR.mkdir(parents=True, exist_ok=True)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", str(CA_KEY), "-out", str(CA_CERT), "-days", "3650",
            "-subj", "/CN=dockyard lab CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")  # fmt: skip
    CA_KEY.chmod(0o600)
    log(f"lab CA made: {CA_CERT}")


def paths(name: str) -> tuple[Path, Path]:
    """Where the certificate and the key of `name` are."""
    return TLS_DIR / f"{name}.pem", TLS_DIR / f"{name}.key"


def ensure_certificate(names: tuple[str, ...]) -> None:
    """A certificate for each name, signed by the lab CA, made when missing."""
    ensure_ca()
    for name in names:
        cert, key = paths(name)
        if cert.exists() and key.exists():
            continue
        request = TLS_DIR / f"{name}.csr"
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", str(key), "-out", str(request), "-subj", f"/CN={name}")  # fmt: skip
        extensions = TLS_DIR / f"{name}.ext"
        extensions.write_text(
            f"subjectAltName=DNS:{name}\nextendedKeyUsage=serverAuth\n"
            "basicConstraints=critical,CA:FALSE\n"
        )
        openssl("x509", "-req", "-in", str(request), "-CA", str(CA_CERT), "-CAkey", str(CA_KEY),
                "-CAcreateserial", "-out", str(cert), "-days", "825",
                "-extfile", str(extensions))  # fmt: skip
        key.chmod(0o600)
        for scratch in (request, extensions):
            scratch.unlink()
        log(f"lab certificate for {name}: {cert}")
