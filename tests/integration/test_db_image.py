"""The lab's database images keep their official images' contract.

dockyard-lab/mysql:9.7 (real MySQL Server, Debian's packages) as the official `mysql` image,
dockyard-lab/mariadb:11.8 (Debian's MariaDB) as the official `mariadb` image: every test runs
against both. Needs a Docker engine (skipped otherwise); builds an image when it is missing
or stale. Run by path: .venv/bin/pytest tests/integration/test_db_image.py
Every container and volume it makes is labelled dockyard.lab=true, named
dockyard-lab-dbtest-<random>, runs without a network and is removed at the end.
"""

from __future__ import annotations

import gzip
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
from dockyard_lab.appimages import DB_IMAGE, MARIADB_IMAGE, ImageRecipe, ensure_db_image


def _docker_works() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0


pytestmark = pytest.mark.skipif(
    not _docker_works(), reason="`docker info` fails: no Docker engine to run the DB image"
)


@dataclass(frozen=True)
class Server:
    """What differs between the two images, as their official images differ."""

    recipe: ImageRecipe
    flavour: str
    version: str
    client: str
    dump: str
    system_users: tuple[str, ...]


SERVERS = (
    Server(
        DB_IMAGE,
        "MySQL",
        "9.7.",
        "mysql",
        "mysqldump",
        ("mysql.infoschema@localhost", "mysql.session@localhost", "mysql.sys@localhost"),
    ),
    Server(
        MARIADB_IMAGE, "MariaDB", "11.8.", "mariadb", "mariadb-dump", ("mariadb.sys@localhost",)
    ),
)

DATABASE = "blog"
INIT_SCRIPT = """\
# Keeps the first start in its init phase long enough to watch the health check fail.
sleep 4
docker_process_sql -e "CREATE TABLE marker (note VARCHAR(20)); INSERT INTO marker VALUES ('init')"
"""
# Run after the script above, in name order: a .sql and a .sql.gz file into MYSQL_DATABASE.
INIT_SQL = "INSERT INTO marker VALUES ('sql');\n"
INIT_SQL_GZ = "INSERT INTO marker VALUES ('sql.gz');\n"


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check)


@dataclass
class Lab:
    """Containers and volumes this module made, removed at the end whatever happens."""

    server: Server
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
        docker(*argv, self.server.recipe.tag, *args)
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


def client(name: str) -> str:
    """The image's client: mysql in the MySQL image, mariadb (only) in the MariaDB one."""
    has_mysql = docker("exec", name, "sh", "-c", "command -v mysql", check=False)
    return "mysql" if has_mysql.returncode == 0 else "mariadb"


def sql(name: str, user: str, password: str, query: str, *, tcp: bool = False) -> str:
    """Run one query with the image's client inside the container; its output, or raise."""
    where = ["--protocol=tcp", "--host=127.0.0.1"] if tcp else []
    login = [f"-u{user}", *([f"-p{password}"] if password else [])]
    argv = ["exec", name, client(name), *login, *where, "-N", "-B", "-e"]
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


@pytest.fixture(scope="module", params=SERVERS, ids=[s.flavour for s in SERVERS])
def server(request: pytest.FixtureRequest) -> Server:
    chosen: Server = request.param
    ensure_db_image(chosen.recipe)
    return chosen


@pytest.fixture(scope="module")
def lab(server: Server) -> Iterator[Lab]:
    made = Lab(server)
    try:
        yield made
    finally:
        made.cleanup()


@pytest.fixture(scope="module")
def first(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, Credentials]:
    """A first start on an empty volume (container, volume, credentials), still initialising."""
    initdb = tmp_path_factory.mktemp("initdb")
    (initdb / "10-slow.sh").write_text(INIT_SCRIPT)
    (initdb / "20-rows.sql").write_text(INIT_SQL)
    (initdb / "30-rows.sql.gz").write_bytes(gzip.compress(INIT_SQL_GZ.encode()))
    (initdb / "40-notes.txt").write_text("not an init file\n")
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
        "--log-bin=binlog",
        "--server-id=7",
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
        assert sql(name, creds.user, creds.password, query, tcp=tcp).split() == [
            "init",
            "sql",
            "sql.gz",
        ]
    grants = sql(name, creds.user, creds.password, "SHOW GRANTS")
    assert "ALL PRIVILEGES ON `blog`.*" in grants
    assert not can_login(name, creds.user, creds.password + "x")


def test_root_password_works_locally_and_over_tcp(first: tuple[str, str, Credentials]) -> None:
    name, _, creds = first
    wait_healthy(name)
    assert sql(name, "root", creds.root, "SELECT CURRENT_USER()") == "root@localhost"
    assert sql(name, "root", creds.root, "SELECT CURRENT_USER()", tcp=True) == "root@%"
    assert not can_login(name, "root", "")


def test_database_is_utf8mb4_and_leftovers_are_gone(
    server: Server, first: tuple[str, str, Credentials]
) -> None:
    name, _, creds = first
    wait_healthy(name)
    query = (
        "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM "
        "information_schema.SCHEMATA WHERE SCHEMA_NAME = 'blog'"
    )
    assert sql(name, "root", creds.root, query).split() == ["utf8mb4", "utf8mb4_unicode_ci"]
    users = sql(name, "root", creds.root, "SELECT CONCAT(User, '@', Host) FROM mysql.user")
    assert sorted(users.split()) == sorted(
        [*server.system_users, "root@localhost", "root@%", f"{creds.user}@%"]
    )
    assert "test" not in sql(name, "root", creds.root, "SHOW DATABASES").split()
    assert sql(name, "root", creds.root, "SELECT @@system_time_zone") == "CST"


def test_the_server_is_the_one_named_and_takes_extra_arguments(
    server: Server, first: tuple[str, str, Credentials]
) -> None:
    name, _, creds = first
    wait_healthy(name)
    version = sql(name, "root", creds.root, "SELECT CONCAT(VERSION(), ' ', @@version_comment)")
    assert version.startswith(server.version), version
    assert ("MariaDB" in version) == (server.flavour == "MariaDB"), version
    assert client(name) == server.client
    # --log-bin=binlog --server-id=7, given after the image's name, reach the server.
    assert sql(name, "root", creds.root, "SELECT @@server_id, @@log_bin").split() == ["7", "1"]
    if server.flavour == "MySQL":
        plugin = "SELECT plugin FROM mysql.user WHERE user = 'blog'"
        assert sql(name, "root", creds.root, plugin) == "caching_sha2_password"


def test_server_runs_as_mysql_and_stops_cleanly(
    lab: Lab, first: tuple[str, str, Credentials]
) -> None:
    name, _, _ = first
    wait_healthy(name)
    assert docker("exec", name, "ps", "-o", "user=", "-p", "1").stdout.strip() == "mysql"
    started = time.monotonic()
    docker("stop", "--time", "30", name)
    assert time.monotonic() - started < 15, "SIGTERM should stop the server promptly"
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
    assert "/docker-entrypoint-initdb.d" not in logs(again), "init files run on first start only"
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


def test_password_files_and_client_tools(server: Server, lab: Lab, tmp_path: Path) -> None:
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
    dump = docker("exec", name, server.dump, "-uroot", f"-p{root}", "--databases", "appdb")
    assert "CREATE DATABASE" in dump.stdout
    assert server.version in docker("exec", name, server.dump, "--version").stdout


def test_an_empty_or_a_random_root_password_when_asked(lab: Lab) -> None:
    empty = lab.start(lab.volume(), {"MYSQL_ALLOW_EMPTY_PASSWORD": "yes"})
    random = lab.start(lab.volume(), {"MYSQL_RANDOM_ROOT_PASSWORD": "yes"})
    wait_healthy(empty)
    assert can_login(empty, "root", "")
    wait_healthy(random)
    said = [ln for ln in logs(random).splitlines() if "GENERATED ROOT PASSWORD: " in ln]
    assert len(said) == 1, logs(random)[-2000:]
    password = said[0].split("GENERATED ROOT PASSWORD: ")[1].strip()
    assert len(password) >= 20
    assert can_login(random, "root", password)
    assert not can_login(random, "root", "")


def test_a_failed_init_script_leaves_a_directory_that_is_never_served(
    lab: Lab, tmp_path: Path
) -> None:
    initdb = tmp_path / "initdb"
    initdb.mkdir()
    (initdb / "10-broken.sql").write_text("CREATE TABLE ok (id INT);\nTHIS IS NOT SQL;\n")
    initdb.chmod(0o755)
    volume = lab.volume()
    env = {"MYSQL_ROOT_PASSWORD": secrets.token_hex(8), "MYSQL_DATABASE": "blog"}
    mounts = (f"{initdb}:/docker-entrypoint-initdb.d:ro",)
    name = lab.start(volume, env, mounts=mounts)
    assert wait_exited(name, timeout=120) != 0
    assert "init process done" not in logs(name)
    # The same volume again, with nothing wrong in the environment: refused, not served.
    (initdb / "10-broken.sql").unlink()
    again = lab.start(volume, env, mounts=mounts)
    assert wait_exited(again) == 1
    output = logs(again)
    assert "initialisation of /var/lib/mysql did not finish" in output, output[-2000:]
    assert "ready for connections" not in output


def test_a_volume_with_other_files_is_not_initialised(lab: Lab) -> None:
    volume = lab.volume()
    in_volume = ["run", "--rm", "--network", "none", "--volume", f"{volume}:/data"]
    in_volume += ["--entrypoint", "sh", lab.server.recipe.tag, "-c"]
    docker(*in_volume, "echo keep > /data/notes.txt")
    name = lab.start(volume, {"MYSQL_ROOT_PASSWORD": secrets.token_hex(8)})
    assert wait_exited(name) == 1
    assert "has files but no system database" in logs(name)
    listing = docker(*in_volume, "ls -A /data").stdout.split()
    assert listing == ["notes.txt"], "the entrypoint wrote nothing there"


def test_only_the_mariadb_image_reads_mariadb_names(server: Server, lab: Lab) -> None:
    root, user = secrets.token_hex(8), secrets.token_hex(8)
    env = {
        "MARIADB_ROOT_PASSWORD": root,
        "MARIADB_DATABASE": "mdb",
        "MARIADB_USER": "muser",
        "MARIADB_PASSWORD": user,
    }
    name = lab.start(lab.volume(), env)
    if server.flavour == "MySQL":
        # The mysql image knows no MARIADB_* names: no root password was given.
        assert wait_exited(name) == 1
        assert "password option is not specified" in logs(name)
        return
    wait_healthy(name)
    assert can_login(name, "root", root)
    assert sql(name, "muser", user, "SHOW DATABASES").split() == ["information_schema", "mdb"]
