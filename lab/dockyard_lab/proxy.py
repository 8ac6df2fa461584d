"""An HTTP proxy on the lab network that demands a login: Debian's tinyproxy.

The docker_daemon scenario points dockerd at it (HTTP_PROXY with user and password) and
reads its log to see the daemon's registry requests go through it; a wrong password makes
it answer 407, so a pull that needs it fails.
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
IMAGE = "dockyard-lab/tinyproxy:latest"
LOG = "/var/log/tinyproxy/tinyproxy.log"
DOCKERFILE = f"""\
FROM {ServerRecipe("bookworm").tag}
RUN apt-get update -qq \\
 && apt-get install -y -qq --no-install-recommends tinyproxy \\
 && rm -rf /var/lib/apt/lists/* \\
 && install -d -o tinyproxy -g tinyproxy /var/log/tinyproxy /run/tinyproxy
EXPOSE {PORT}
"""


def password() -> str:
    """The proxy's throwaway password, generated once per lab."""
    return throwaway_secret("proxy-password")


def config(secret: str) -> str:
    """tinyproxy's configuration: every client of the lab network, with a login."""
    return (
        f"User tinyproxy\nGroup tinyproxy\nPort {PORT}\nTimeout 60\n"
        f'LogFile "{LOG}"\nLogLevel Connect\nMaxClients 20\n'
        f"BasicAuth {USER} {secret}\n"
    )


def ensure_image() -> None:
    digest = hashlib.sha256((DOCKERFILE + ServerRecipe("bookworm").digest()).encode())
    wanted = digest.hexdigest()[:16]
    if image_label(IMAGE, RECIPE_LABEL) == wanted:
        return
    log(f"{IMAGE}: building (Debian's tinyproxy)")
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
    text = config(password())
    # The file's name carries its digest: another configuration is another service spec.
    name = f"lab-{hashlib.sha256(text.encode()).hexdigest()[:12]}.conf"
    for old in state.glob("lab-*.conf"):
        old.unlink()
    (state / name).write_text(text)
    command = ["tinyproxy", "-d", "-c", f"/etc/tinyproxy/{name}"]
    ensure_service(NAME, command, image=IMAGE, mounts=[f"{state}:/etc/tinyproxy:ro"])
    return f"http://{NAME}:{PORT}"
