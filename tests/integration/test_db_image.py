"""dockyard-lab/mariadb-mysql-compat:10.11 keeps the official mysql image's contract.

Needs a Docker engine (skipped otherwise); builds the image when it is missing or stale.
Run by path: .venv/bin/pytest tests/integration/test_db_image.py
Every container and volume it makes is labelled dockyard.lab=true, named
dockyard-lab-dbtest-<random>, runs without a network and is removed at the end.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from dockyard_lab import LABEL
from dockyard_lab.appimages import DB_IMAGE, ensure_db_image


def _docker_works() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0


pytestmark = pytest.mark.skipif(
    not _docker_works(), reason="`docker info` fails: no Docker engine to run the DB image"
)

DATABASE = "blog"
INIT_SCRIPT = """\
# Keeps the first start in its init phase long enough to watch the health check fail.
sleep 4
docker_process_sql -e "CREATE TABLE marker (note VARCHAR(20)); INSERT INTO marker VALUES ('init')"
"""


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check)


@dataclass
class Lab:
    """Containers and volumes this module made, removed at the end whatever happens."""

    prefix: str = field(default_factory=lambda: f"dockyard-lab-dbtest-{secrets.token_hex(4)}")
    containers: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)

    def volume(self) -> str:
        name = f"{self.prefix}-v{len(self.volumes)}"
        docker("volume", "create", "--label", f"{LABEL}=true", name)
        self.volumes.append(name)
        return name

    def start(
        self, volume: str, env: dict[str, str], *args: str, mounts: tuple[str, ...] = ()
    ) -> str:
        name = f"{self.prefix}-c{len(self.containers)}"
        argv = ["run", "--detach", "--name", name, "--label", f"{LABEL}=true"]
        argv += ["--network", "none", "--health-interval", "1s"]
        argv += ["--volume", f"{volume}:/var/lib/mysql", *(f"--volume={m}" for m in mounts)]
        for key, value in env.items():
            argv += ["--env", f"{key}={value}"]
        self.containers.append(name)
        docker(*argv, DB_IMAGE.tag, *args)
        return name

    def cleanup(self) -> None:
        for name in self.containers:
            docker("rm", "--force", "--volumes", name, check=False)
        for name in self.volumes:
            docker("volume", "rm", "--force", name, check=False)


def state(name: str) -> dict[str, object]:
    result: dict[str, object] = json.loads(
        docker("inspect", "--format", "{{json .State}}", name).stdout
    )
    return result


def logs(name: str) -> str:
    proc = docker("logs", name, check=False)
    return proc.stdout + proc.stderr


def wait_healthy(name: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = state(name)
        if not current["Running"]:
            pytest.fail(f"{name} exited ({current['ExitCode']}):\n{logs(name)[-3000:]}")
        health = current.get("Health")
        if isinstance(health, dict) and health.get("Status") == "healthy":
            return
        time.sleep(0.5)
    pytest.fail(f"{name} not healthy within {timeout:.0f}s:\n{logs(name)[-3000:]}")


def wait_exited(name: str, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = state(name)
        if not current["Running"]:
            return int(str(current["ExitCode"]))
        time.sleep(0.5)
    pytest.fail(f"{name} still running after {timeout:.0f}s")


def sql(name: str, user: str, password: str, query: str, *, tcp: bool = False) -> str:
    """Run one query with the mariadb client inside the container; its output, or raise."""
    where = ["--protocol=tcp", "--host=127.0.0.1"] if tcp else []
    argv = ["exec", name, "mariadb", f"-u{user}", f"-p{password}", *where, "-N", "-B", "-e"]
    return docker(*argv, query).stdout.strip()


def can_login(name: str, user: str, password: str) -> bool:
    try:
        sql(name, user, password, "SELECT 1", tcp=True)
    except subprocess.CalledProcessError:
        return False
    return True


@dataclass(frozen=True)
class Credentials:
    root: str
    user: str
    password: str

    def env(self) -> dict[str, str]:
        return {
            "MYSQL_ROOT_PASSWORD": self.root,
            "MYSQL_DATABASE": DATABASE,
            "MYSQL_USER": self.user,
            "MYSQL_PASSWORD": self.password,
            "TZ": "Asia/Shanghai",
        }


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    ensure_db_image()
    made = Lab()
    try:
        yield made
    finally:
        made.cleanup()


@pytest.fixture(scope="module")
def first(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, Credentials]:
    """A first start on an empty volume (container, volume, credentials), still initialising."""
    initdb = tmp_path_factory.mktemp("initdb")
    (initdb / "10-slow.sh").write_text(INIT_SCRIPT)
    initdb.chmod(0o755)
    # Quotes, a backslash and a space: the entrypoint must escape them in SQL.
    creds = Credentials(
        root=f"r'o\"o\\t {secrets.token_hex(6)}", user="blog", password=secrets.token_hex(8)
    )
    volume = lab.volume()
    name = lab.start(
        volume,
        creds.env(),
        "--character-set-server=utf8mb4",
        "--collation-server=utf8mb4_unicode_ci",
        mounts=(f"{initdb}:/docker-entrypoint-initdb.d:ro",),
    )
    return name, volume, creds


def test_not_healthy_while_the_init_server_runs(first: tuple[str, str, Credentials]) -> None:
    name, _, _ = first
    deadline = time.monotonic() + 60
    while "sourcing /docker-entrypoint-initdb.d/10-slow.sh" not in logs(name):
        assert time.monotonic() < deadline, logs(name)
        time.sleep(0.2)
    probe = docker("exec", name, "/usr/local/bin/healthcheck.sh", check=False)
    assert probe.returncode != 0, "healthy while the temporary init server runs"
    assert "init process done" not in logs(name)


def test_becomes_healthy_after_init(first: tuple[str, str, Credentials]) -> None:
    name, _, _ = first
    wait_healthy(name)
    assert "init process done" in logs(name)
    assert docker("exec", name, "/usr/local/bin/healthcheck.sh", check=False).returncode == 0


def test_user_reaches_its_database_with_its_password(first: tuple[str, str, Credentials]) -> None:
    name, _, creds = first
    wait_healthy(name)
    for tcp in (False, True):
        assert sql(name, creds.user, creds.password, "SELECT DATABASE()", tcp=tcp) == "NULL"
        query = "USE blog; SELECT note FROM marker"
        assert sql(name, creds.user, creds.password, query, tcp=tcp) == "init"
    grants = sql(name, creds.user, creds.password, "SHOW GRANTS")
    assert "ALL PRIVILEGES ON `blog`.*" in grants
    assert not can_login(name, creds.user, creds.password + "x")


def test_root_password_works_locally_and_over_tcp(first: tuple[str, str, Credentials]) -> None:
    name, _, creds = first
    wait_healthy(name)
    assert sql(name, "root", creds.root, "SELECT CURRENT_USER()") == "root@localhost"
    assert sql(name, "root", creds.root, "SELECT CURRENT_USER()", tcp=True) == "root@%"
    assert not can_login(name, "root", "")


def test_database_is_utf8mb4_and_leftovers_are_gone(first: tuple[str, str, Credentials]) -> None:
    name, _, creds = first
    wait_healthy(name)
    query = (
        "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM "
        "information_schema.SCHEMATA WHERE SCHEMA_NAME = 'blog'"
    )
    assert sql(name, "root", creds.root, query).split() == ["utf8mb4", "utf8mb4_unicode_ci"]
    users = sql(name, "root", creds.root, "SELECT CONCAT(User, '@', Host) FROM mysql.user")
    assert sorted(users.split()) == sorted(
        ["mariadb.sys@localhost", "root@localhost", "root@%", f"{creds.user}@%"]
    )
    assert "test" not in sql(name, "root", creds.root, "SHOW DATABASES").split()
    assert sql(name, "root", creds.root, "SELECT @@system_time_zone") == "CST"


def test_server_runs_as_mysql_and_stops_cleanly(
    lab: Lab, first: tuple[str, str, Credentials]
) -> None:
    name, _, _ = first
    wait_healthy(name)
    assert docker("exec", name, "ps", "-o", "user=", "-p", "1").stdout.strip() == "mysql"
    started = time.monotonic()
    docker("stop", "--time", "30", name)
    assert time.monotonic() - started < 15, "SIGTERM should stop mariadbd promptly"
    assert state(name)["ExitCode"] == 0
    assert "Shutdown complete" in logs(name)


def test_restart_with_other_passwords_keeps_the_first_ones(
    lab: Lab, first: tuple[str, str, Credentials]
) -> None:
    name, volume, creds = first
    if state(name)["Running"]:
        wait_healthy(name)
        docker("stop", name)
    other = Credentials(root=secrets.token_hex(8), user=creds.user, password=secrets.token_hex(8))
    again = lab.start(volume, other.env())
    wait_healthy(again)
    assert "MYSQL_* variables are ignored" in logs(again)
    assert can_login(again, "root", creds.root)
    assert can_login(again, creds.user, creds.password)
    assert not can_login(again, "root", other.root)
    assert not can_login(again, creds.user, other.password)


def test_first_start_without_root_password_fails_clearly(lab: Lab) -> None:
    name = lab.start(lab.volume(), {"MYSQL_DATABASE": "blog"})
    assert wait_exited(name) == 1
    output = logs(name)
    assert "Database is uninitialized and password option is not specified" in output
    for option in (
        "MYSQL_ROOT_PASSWORD",
        "MYSQL_ALLOW_EMPTY_PASSWORD",
        "MYSQL_RANDOM_ROOT_PASSWORD",
    ):
        assert option in output


def test_password_files_and_client_tools(lab: Lab, tmp_path: Path) -> None:
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    root, user = secrets.token_hex(8), secrets.token_hex(8)
    (secrets_dir / "root").write_text(root + "\n")
    (secrets_dir / "user").write_text(user + "\n")
    # Root's alone, as Compose secrets and the stack role leave them: the entrypoint must
    # read them before it drops to the mysql user, as the official image does.
    for path in (secrets_dir, *secrets_dir.iterdir()):
        path.chmod(0o700 if path.is_dir() else 0o600)
    env = {
        "MYSQL_ROOT_PASSWORD_FILE": "/run/secrets/root",
        "MYSQL_PASSWORD_FILE": "/run/secrets/user",
        "MYSQL_USER": "app",
        "MYSQL_DATABASE": "appdb",
        "MYSQL_INITDB_SKIP_TZINFO": "1",
    }
    name = lab.start(lab.volume(), env, mounts=(f"{secrets_dir}:/run/secrets:ro",))
    wait_healthy(name)
    assert can_login(name, "root", root)
    assert can_login(name, "app", user)
    dump = docker("exec", name, "mysqldump", "-uroot", f"-p{root}", "--databases", "appdb")
    assert "CREATE DATABASE" in dump.stdout
    assert "Distrib 10.11" in docker("exec", name, "mariadb-dump", "--version").stdout
