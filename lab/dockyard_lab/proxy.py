"""An HTTP proxy on the lab network that demands a login: Debian's squid.

The docker_daemon scenario points dockerd at it (HTTP_PROXY with user and password) and
reads its access log to see the daemon's registry requests go through it; a wrong password
makes it answer 407, so a pull that needs it fails.

Not tinyproxy, which the lab used first: it keeps one of several request headers of the same
name. Engine 23 and later ask a registry for a manifest with one Accept header per media type;
through tinyproxy the registry saw only the schema 1 type, answered with a manifest converted
to schema 1 whose digest it does not store, and Engine 26 (which refuses schema 1) fell back
to Docker Hub. A real proxy passes every header.
"""

from __future__ import annotations

import hashlib
import subprocess

from . import LABEL
from .images import RECIPE_LABEL, ServerRecipe, image_label
from .run import log
from .services import STATE_DIR, ensure_service, throwaway_secret

NAME = "dockyard-lab-proxy"
PORT = 8888
USER = "dockyard"
IMAGE = "dockyard-lab/squid:latest"
LOG = "/var/log/squid/access.log"
# Where the service reads its configuration and the login's password (mounted read-only).
CONFIG_DIR = "/etc/squid-lab"
# basic_ncsa_auth reads an htpasswd file: written at start, from the password, by openssl.
HTPASSWD_FILE = "/run/squid-lab.htpasswd"
DOCKERFILE = f"""\
FROM {ServerRecipe("bookworm").tag}
RUN apt-get update -qq \\
 && apt-get install -y -qq --no-install-recommends squid openssl \\
 && rm -rf /var/lib/apt/lists/*
EXPOSE {PORT}
"""


def password() -> str:
    """The proxy's throwaway password, generated once per lab."""
    return throwaway_secret("proxy-password")


def config() -> str:
    """squid's configuration: every client of the lab network, with a login, no cache."""
    return "\n".join(
        [
            f"http_port {PORT}",
            "pid_filename /run/squid.pid",
            "cache_effective_user proxy",
            f"auth_param basic program /usr/lib/squid/basic_ncsa_auth {HTPASSWD_FILE}",
            "auth_param basic realm dockyard lab proxy",
            "acl login proxy_auth REQUIRED",
            "http_access allow login",
            "http_access deny all",
            "cache deny all",
            f"access_log stdio:{LOG}",
            "cache_log /var/log/squid/cache.log",
            "logfile_rotate 0",
            "shutdown_lifetime 1 seconds",
            "coredump_dir /var/spool/squid",
            "",
        ]
    )


def command(config_name: str) -> list[str]:
    """The service's command: the htpasswd line from the mounted password, then squid."""
    script = (
        f'set -e; printf "{USER}:%s\\n" "$(openssl passwd -apr1 -stdin < {CONFIG_DIR}/password)"'
        f" > {HTPASSWD_FILE}; exec squid -N -f {CONFIG_DIR}/{config_name}"
    )
    return ["sh", "-c", script]


def ensure_image() -> None:
    digest = hashlib.sha256((DOCKERFILE + ServerRecipe("bookworm").digest()).encode())
    wanted = digest.hexdigest()[:16]
    if image_label(IMAGE, RECIPE_LABEL) == wanted:
        return
    log(f"{IMAGE}: building (Debian's squid)")
    subprocess.run(
        ["docker", "build", "--quiet", "--label", f"{LABEL}=true",
         "--label", f"{RECIPE_LABEL}={wanted}", "--tag", IMAGE, "-"],
        input=DOCKERFILE, text=True, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def ensure_proxy() -> str:
    """Build the image, write the configuration, run the service; its URL without login."""
    ensure_image()
    state = STATE_DIR / "proxy"
    state.mkdir(parents=True, exist_ok=True)
    secret = password()
    text = config()
    # The files' names carry their digest: another configuration or password is another
    # service spec, so the service is replaced.
    digest = hashlib.sha256((text + secret).encode()).hexdigest()[:12]
    name = f"lab-{digest}.conf"
    for old in state.glob("lab-*.conf"):
        old.unlink()
    (state / name).write_text(text)
    (state / "password").write_text(secret + "\n")
    (state / "password").chmod(0o600)
    ensure_service(NAME, command(name), image=IMAGE, mounts=[f"{state}:{CONFIG_DIR}:ro"])
    return f"http://{NAME}:{PORT}"
