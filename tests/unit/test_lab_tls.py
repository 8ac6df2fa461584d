"""The lab CA signs a certificate for each public name, once; openssl accepts the chain."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from dockyard_lab import tls


@pytest.fixture
def tls_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(tls, "TLS_DIR", tmp_path)
    monkeypatch.setattr(tls, "CA_CERT", tmp_path / "ca.pem")
    monkeypatch.setattr(tls, "CA_KEY", tmp_path / "ca.key")
    return tmp_path


def test_certificate_for_the_name_verifies_against_the_lab_ca(tls_dir: Path) -> None:
    tls.ensure_certificate(("blog.example.com",))
    cert, key = tls.paths("blog.example.com")
    verify = ["openssl", "verify", "-CAfile", str(tls_dir / "ca.pem"), "-verify_hostname",
              "blog.example.com", str(cert)]  # fmt: skip
    assert subprocess.run(verify, capture_output=True, text=True, check=False).returncode == 0
    wrong = [*verify[:4], "-verify_hostname", "other.example.com", str(cert)]
    assert subprocess.run(wrong, capture_output=True, text=True, check=False).returncode != 0
    assert key.stat().st_mode & 0o777 == 0o600
    assert (tls_dir / "ca.key").stat().st_mode & 0o777 == 0o600


def test_an_existing_certificate_is_kept(tls_dir: Path) -> None:
    tls.ensure_certificate(("blog.example.com",))
    cert, _ = tls.paths("blog.example.com")
    first = cert.read_bytes()
    tls.ensure_certificate(("blog.example.com",))
    assert cert.read_bytes() == first
