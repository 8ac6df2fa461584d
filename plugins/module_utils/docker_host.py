"""What already runs on a host that the blog's deploy must know about, read in one go.

Used by the docker_host_state module on the managed host: Python 3.8 and newer, the
standard library only, and the Docker CLI (no Python SDK: a server set up by hand has the
CLI alone). Reads `docker ps`, `docker inspect`, `docker volume inspect`, `docker version`,
`docker info` and /proc, and changes nothing. Every container is sorted into:
  ours      the project's own (its compose label, or its swarm stack's),
  retire    named for retirement (by name, or by its Compose project),
  blocking  anything else that publishes one of the blog's ports or mounts the database volume;
the project's running database container (Compose's service db), its one-off containers
(`compose run`: the migrations) that an earlier run left, and the services whose containers
all run healthy (or run, having no health check) are named; whether the volume exists and
which Compose project (or swarm stack), if any, created it; which Engine API version the
daemon speaks (the compose file's health checks depend on it); the engine's data root with
the MiB free there (pulls, builds and the database grow there); the id of the image the
database's reference names now, beside the id of the image its container runs (a deploy that
would replace the database with another image dumps first); the record an unfinished restore
left (restore.yml: the database may be half-loaded); and which processes listen on the
blog's ports, from /proc (no ss, lsof or fuser needed). With no answering daemon only the
restore's record and the listeners are known.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
# Compose v1 and v2 mark the containers of `compose run` so.
ONEOFF_LABEL = "com.docker.compose.oneoff"
CONFIG_HASH_LABEL = "com.docker.compose.config-hash"
# What `docker stack deploy` puts on a stack's containers and volumes (the swarm topology).
STACK_LABEL = "com.docker.stack.namespace"


def project_of(labels: dict[str, str]) -> str:
    """The Compose project, or the swarm stack, that made a container or a volume."""
    return labels.get(PROJECT_LABEL) or labels.get(STACK_LABEL) or ""


def docker(*argv: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["docker", *argv], capture_output=True, text=True, check=False)
    except FileNotFoundError:  # no Docker CLI yet: a fresh server
        return subprocess.CompletedProcess(["docker", *argv], 127, "", "no docker command")


def summary(inspected: dict[str, Any]) -> dict[str, Any]:
    """The few facts of one `docker inspect` result that the deploy needs."""
    labels = (inspected.get("Config") or {}).get("Labels") or {}
    bindings = (inspected.get("HostConfig") or {}).get("PortBindings") or {}
    ports = sorted(
        {
            int(binding["HostPort"])
            for targets in bindings.values()
            for binding in targets or []
            if str(binding.get("HostPort", "")).isdigit()
        }
    )
    volumes = sorted(
        mount["Name"]
        for mount in inspected.get("Mounts") or []
        if mount.get("Type") == "volume" and mount.get("Name")
    )
    return {
        # As `docker ps --quiet` prints it.
        "id": str(inspected.get("Id", ""))[:12],
        "name": str(inspected.get("Name", "")).lstrip("/"),
        "running": bool((inspected.get("State") or {}).get("Running")),
        # "" for a container without a health check.
        "health": str(((inspected.get("State") or {}).get("Health") or {}).get("Status", "")),
        "image": (inspected.get("Config") or {}).get("Image", ""),
        # The image it runs, by id: what a tag now names may be another.
        "image_id": str(inspected.get("Image", "")),
        "started": str((inspected.get("State") or {}).get("StartedAt", "")),
        "project": project_of(labels),
        "service": labels.get(SERVICE_LABEL, ""),
        "oneoff": labels.get(ONEOFF_LABEL, "").lower() == "true",
        # What Compose compares with the compose file to decide on a recreate.
        "config_hash": labels.get(CONFIG_HASH_LABEL, ""),
        "ports": ports,
        "volumes": volumes,
    }


def classify(
    containers: Sequence[dict[str, Any]],
    *,
    project: str,
    volume: str,
    ports: Sequence[int],
    retire_containers: Sequence[str],
    retire_project: str,
) -> dict[str, Any]:
    """Sort container summaries into ours, retire and blocking (see the module's doc)."""
    ours: list[dict[str, Any]] = []
    retire: list[dict[str, Any]] = []
    blocking: list[dict[str, Any]] = []
    for container in containers:
        holds = [f"port {port}" for port in ports if port in container["ports"]] + (
            ["volume " + volume] if volume in container["volumes"] else []
        )
        if container["project"] == project:
            ours.append(container)
        elif container["name"] in retire_containers or (
            retire_project and container["project"] == retire_project
        ):
            retire.append({**container, "holds": holds})
        elif holds:
            blocking.append({**container, "holds": holds})
    database = [c["name"] for c in retire if volume in c["volumes"]]
    # One-off containers (a migration's `compose run`) are not their service's containers.
    oneoff = [c for c in ours if c.get("oneoff")]
    ours_services = [c for c in ours if not c.get("oneoff")]
    running_db = [c["id"] for c in ours_services if c["running"] and c["service"] == "db"]
    db_images = [c["image_id"] for c in ours_services if c["service"] == "db" and c["image_id"]]
    services = {c["service"] for c in ours_services if c["service"]}
    unready = {
        c["service"]
        for c in ours_services
        if c["service"] and not (c["running"] and c["health"] in ("healthy", ""))
    }
    return {
        "ours": [c["name"] for c in ours],
        # The project's running database container (Compose's service db), "" when none.
        "db": running_db[0] if running_db else "",
        # The image id of the project's database container (running or not), "" when none.
        "db_image_id": db_images[0] if db_images else "",
        # Compose services of the project whose every container runs, healthy or unchecked.
        "ready": sorted(services - unready),
        # The project's web containers (a deploy with a front starts a second one beside the
        # first), and its front's: what a deploy that replaces web without a pause needs.
        "web": [
            {key: c[key] for key in ("id", "name", "running", "health", "config_hash")}
            for c in ours_services
            if c["service"] == "web"
        ],
        "front": [
            {"name": c["name"], "config_hash": c["config_hash"]}
            for c in ours_services
            if c["service"] == "front" and c["running"]
        ],
        # Compose services of the project with a running container.
        "running": sorted({c["service"] for c in ours_services if c["service"] and c["running"]}),
        # The project's one-off containers (`compose run`) left by an earlier run: a
        # migration still running, or one whose run was cut off before it removed it.
        "oneoff": [
            {"name": c["name"], "running": c["running"], "started": c.get("started", "")}
            for c in oneoff
        ],
        # Every running container that publishes one of the ports, whoever's it is.
        "publishing": [
            c["name"] for c in containers if c["running"] and set(ports) & set(c["ports"])
        ],
        "retire": retire,
        # The retired container that runs the database to take over (dumped before retiring).
        "retire_db": database[0] if database else "",
        "blocking": blocking,
    }


def volume_facts(volume: str) -> dict[str, Any]:
    found = docker("volume", "inspect", volume)
    if found.returncode != 0:
        return {"name": volume, "exists": False, "project": ""}
    labels = (json.loads(found.stdout)[0].get("Labels")) or {}
    return {"name": volume, "exists": True, "project": project_of(labels)}


def free_mb(path: str) -> int:
    """MiB free to root on the file system holding path; -1 when it cannot be read."""
    try:
        stats = os.statvfs(path)
    except OSError:
        return -1
    return stats.f_bavail * stats.f_frsize // (1024 * 1024)


def docker_root() -> dict[str, Any]:
    """The engine's data root (images, containers, local volumes) and the space left on it."""
    info = docker("info", "--format", "{{.DockerRootDir}}")
    path = info.stdout.strip() if info.returncode == 0 else ""
    return {"path": path, "free_mb": free_mb(path) if path else -1}


def restore_record(path: str) -> dict[str, Any]:
    """The unfinished restore's record at path: {} when there is none."""
    if not path:
        return {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as error:
        return {"unreadable": str(error)}
    try:
        record = json.loads(text)
    except ValueError:
        record = None
    # Whatever it holds, it stands: a record damaged or edited by hand still blocks.
    return record if isinstance(record, dict) and record else {"unreadable": text.strip()[:200]}


LISTEN = "0A"


def listening_inodes(port: int, proc: Path = Path("/proc")) -> dict[str, str]:
    """Socket inode -> address family, for every socket listening on `port`."""
    found: dict[str, str] = {}
    for table, family in (("tcp", "IPv4"), ("tcp6", "IPv6")):
        path = proc / "net" / table
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if fields[3] == LISTEN and local_port == port and fields[9] != "0":
                found[fields[9]] = family
    return found


def socket_links(process: Path) -> list[str]:
    """The socket:[inode] targets of a process's open files (none when it cannot be read)."""
    links: list[str] = []
    try:
        descriptors = list((process / "fd").iterdir())
    except OSError:  # gone, or not ours to read
        return links
    for descriptor in descriptors:
        try:
            target = descriptor.readlink().name
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            links.append(target)
    return links


def owners(port: int, proc: Path = Path("/proc")) -> list[dict[str, object]]:
    """The processes holding a socket that listens on `port`, sorted by pid."""
    inodes = listening_inodes(port, proc)
    result: list[dict[str, object]] = []
    if not inodes:
        return result
    for process in proc.iterdir():
        if not process.name.isdigit():
            continue
        # "socket:[12345]" -> "12345"
        held = {link[len("socket:[") : -1] for link in socket_links(process)}
        if held & inodes.keys():
            try:
                name = (process / "comm").read_text().strip()
            except OSError:  # gone meanwhile
                continue
            family = inodes[min(held & inodes.keys())]
            result.append({"pid": int(process.name), "name": name, "family": family})
    return sorted(result, key=lambda owner: int(str(owner["pid"])))


def listeners(ports: list[int], proc: Path = Path("/proc")) -> list[dict[str, object]]:
    """The owners of every port, each entry naming its port, sorted by port and pid."""
    return [{"port": port, **owner} for port in sorted(set(ports)) for owner in owners(port, proc)]


def read_state(
    *,
    project: str,
    volume: str,
    ports: Sequence[int],
    retire_containers: Sequence[str] = (),
    retire_project: str = "",
    restore_record_path: str = "",
    db_image: str = "",
) -> dict[str, Any]:
    """Everything above, as one mapping (see the module's RETURN)."""
    unfinished = restore_record(restore_record_path)
    found = listeners(list(ports))
    inspected: list[dict[str, Any]] | None = None
    error = ""
    for _attempt in range(5):  # a container removed between ps and inspect: ask again
        listed = docker("ps", "--all", "--quiet", "--no-trunc")
        if listed.returncode != 0:
            return {
                "answering": False,
                "error": listed.stderr.strip(),
                "restore_unfinished": unfinished,
                "listeners": found,
            }
        ids = listed.stdout.split()
        details = docker("inspect", *ids) if ids else None
        if details is None:
            inspected = []
            break
        if details.returncode == 0:
            inspected = json.loads(details.stdout)
            break
        error = details.stderr.strip()
    if inspected is None:
        raise RuntimeError("docker inspect kept failing: " + error)
    state = classify(
        [summary(item) for item in inspected],
        project=project,
        volume=volume,
        ports=ports,
        retire_containers=retire_containers,
        retire_project=retire_project,
    )
    api = docker("version", "--format", "{{.Server.APIVersion}}")
    wanted = docker("image", "inspect", "--format", "{{.Id}}", db_image) if db_image else None
    return {
        "answering": True,
        **state,
        "volume": volume_facts(volume),
        "engine_api": api.stdout.strip() if api.returncode == 0 else "",
        "docker_root": docker_root(),
        # The id of the image db_image names here now, "" when it is not here.
        "db_image_wanted": wanted.stdout.strip() if wanted and wanted.returncode == 0 else "",
        "restore_unfinished": unfinished,
        "listeners": found,
    }
