"""The lab's proxy: squid with a login and no cache, its htpasswd made from the password."""

from __future__ import annotations

from dockyard_lab import proxy


def test_every_request_needs_the_login_and_nothing_is_cached() -> None:
    lines = proxy.config().splitlines()
    assert f"http_port {proxy.PORT}" in lines
    assert lines.index("http_access allow login") < lines.index("http_access deny all")
    assert "acl login proxy_auth REQUIRED" in lines
    assert f"auth_param basic program /usr/lib/squid/basic_ncsa_auth {proxy.HTPASSWD_FILE}" in lines
    assert "cache deny all" in lines
    assert f"access_log stdio:{proxy.LOG}" in lines


def test_the_command_hashes_the_mounted_password_then_runs_squid_in_the_foreground() -> None:
    argv = proxy.command("lab-0123.conf")
    assert argv[:2] == ["sh", "-c"]
    script = argv[2]
    assert f"openssl passwd -apr1 -stdin < {proxy.CONFIG_DIR}/password" in script
    assert f"> {proxy.HTPASSWD_FILE};" in script
    assert script.endswith(f"exec squid -N -f {proxy.CONFIG_DIR}/lab-0123.conf")
    assert "set -e" in script
