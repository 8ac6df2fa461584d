"""docker_daemon: merged config, a mirror that really serves, safe reloads and refusals."""

import json
import subprocess
from pathlib import Path

import pytest
from lab_testing import ansible_playbook, host_file_digest

MIRROR = "http://dockyard-lab-mirror:5000"
PRIVATE = "dockyard-lab-private:5000"
PASSWORD_FILE = Path(__file__).resolve().parents[3] / ".lab" / "private-registry-password"
PROXY = "dockyard-lab-proxy:8888"
PROXY_PASSWORD_FILE = Path(__file__).resolve().parents[3] / ".lab" / "proxy-password"
PROXY_DROPIN = "/etc/systemd/system/docker.service.d/dockyard-http-proxy.conf"
PROXY_ENV = "/etc/docker/dockyard-proxy.env"


def name(host):
    return host.backend.get_hostname()


def is_legacy(host):
    return name(host) == "daemon-legacy"


def daemon_pid(host):
    return int(host.check_output("systemctl show --property=MainPID --value docker"))


def docker_info(host):
    return json.loads(host.check_output("docker info --format '{{json .}}'"))


def record(host, which):
    return json.loads(host.file(f"/root/side-effect-{which}.json").content_string)


def refused(host, extra_vars, *expected):
    """Run converge with bad input: it must fail with the messages, changing nothing."""
    before = (
        host_file_digest(host, "/etc/docker/daemon.json"),
        host_file_digest(host, "/etc/default/docker"),
        daemon_pid(host),
    )
    result = ansible_playbook("converge.yml", limit=name(host), extra_vars=extra_vars)
    assert result.returncode != 0, result.stdout[-2000:]
    for text in expected:
        assert text in result.stdout, result.stdout[-3000:]
    after = (
        host_file_digest(host, "/etc/docker/daemon.json"),
        host_file_digest(host, "/etc/default/docker"),
        daemon_pid(host),
    )
    assert after == before
    return result


def test_daemon_json_keeps_hand_written_keys(host):
    config = json.loads(host.file("/etc/docker/daemon.json").content_string)
    assert config["labels"] == ["owner=ops-team"]
    assert config["max-concurrent-downloads"] == 4
    assert config["live-restore"] is True
    assert all(isinstance(v, str) for v in config["log-opts"].values())


def test_daemon_json_is_root_owned_0644(host):
    f = host.file("/etc/docker/daemon.json")
    assert (f.user, f.group, f.mode) == ("root", "root", 0o644)


def test_registry_keys_live_in_exactly_one_place(host):
    config = json.loads(host.file("/etc/docker/daemon.json").content_string)
    if is_legacy(host):
        assert "registry-mirrors" not in config and "insecure-registries" not in config
        opts = host.file("/etc/default/docker").content_string
        assert f"--registry-mirror={MIRROR}" in opts
        assert f"--insecure-registry={PRIVATE}" in opts
        assert "--max-concurrent-uploads=3" in opts  # the administrator's flag survived
        assert f"--registry-mirror={MIRROR}" in host.check_output("ps -o args= -C dockerd")
    else:
        assert config["registry-mirrors"] == [MIRROR]
        assert config["insecure-registries"] == [PRIVATE]


def test_live_daemon_shows_the_configuration(host):
    info = docker_info(host)
    assert [m.rstrip("/") for m in info["RegistryConfig"]["Mirrors"]] == [MIRROR]
    assert info["LiveRestoreEnabled"] is True
    assert "owner=ops-team" in info["Labels"]


def test_pull_through_the_mirror_with_docker_hub_unreachable(host):
    host.run("docker rmi busybox:latest")
    since = subprocess.run(
        ["date", "-u", "+%Y-%m-%dT%H:%M:%SZ"], capture_output=True, text=True, check=True
    ).stdout.strip()
    pulled = host.run("docker pull busybox:latest")
    assert pulled.rc == 0, pulled.stderr
    assert host.check_output("docker run --rm busybox:latest echo via-mirror") == "via-mirror"
    logs = subprocess.run(
        ["docker", "logs", "--since", since, "dockyard-lab-mirror"],
        capture_output=True,
        text=True,
        check=True,
    )
    address = subprocess.run(
        [
            "docker",
            "inspect",
            "--format",
            '{{(index .NetworkSettings.Networks "dockyard-lab").IPAddress}}',
            name(host),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    requests = [
        line
        for line in (logs.stdout + logs.stderr).splitlines()
        if "/v2/library/busybox/manifests/latest" in line and address in line
    ]
    assert requests, f"no manifest request from {address} in the mirror's log"


def test_image_missing_from_the_mirror_fails_as_docker_hub_is_unreachable(host):
    out = host.run("docker pull hello-world:latest")
    assert out.rc != 0


def test_private_registry_login_lets_the_pull_work(host):
    out = host.run(f"docker pull {PRIVATE}/lab/busybox:latest")
    assert out.rc == 0, out.stderr
    auths = json.loads(host.file("/root/.docker/config.json").content_string)["auths"]
    assert PRIVATE in auths


def test_registry_password_never_appears_in_output(host):
    if name(host) != "daemon-bookworm":
        pytest.skip("one server is enough")
    result = ansible_playbook("converge.yml", limit=name(host), args=("-vv",))
    assert result.returncode == 0, result.stdout[-2000:]
    assert PASSWORD_FILE.read_text().strip() not in result.stdout


def test_reload_kept_the_daemon_and_the_container(host):
    before, after = record(host, "before"), record(host, "after-reload")
    if is_legacy(host):
        # DOCKER_OPTS flags are read only at start: a mirror change there needs a restart.
        assert after["pid"] != before["pid"]
    else:
        assert after["pid"] == before["pid"]
    assert after["sentinel_running"] is True
    assert after["sentinel_started"] == before["sentinel_started"]


def test_restart_replaced_the_daemon_but_kept_the_container(host):
    before, after = record(host, "after-reload"), record(host, "after-restart")
    assert after["pid"] != before["pid"]
    assert after["sentinel_running"] is True
    assert after["sentinel_started"] == before["sentinel_started"]
    assert (
        host.check_output("docker inspect --format '{{.State.StartedAt}}' sentinel")
        == (before["sentinel_started"])
    )


@pytest.mark.parametrize(
    ("mirror", "reason"),
    [
        ("ftp://x", "scheme 'ftp' is not http or https"),
        ("mirror:5000", "no scheme"),
        ("http://mirror:5000/x", "has a path"),
    ],
)
def test_bad_mirror_is_refused_before_any_change(host, mirror, reason):
    if name(host) != "daemon-bookworm":
        pytest.skip("one server is enough")
    refused(host, {"docker_daemon_registry_mirrors": [mirror]}, "Nothing was changed", reason)


def test_malformed_daemon_json_stops_the_run_and_stays_as_it_was(host):
    if name(host) != "daemon-trixie":
        pytest.skip("one server is enough")
    good = host.file("/etc/docker/daemon.json").content_string
    host.run_expect([0], "cp /etc/docker/daemon.json /root/daemon.json.good")
    host.run_expect([0], "printf '{\"debug\": true,,}' > /etc/docker/daemon.json")
    try:
        refused(host, {}, "/etc/docker/daemon.json is not valid JSON", "left untouched")
        assert host.file("/etc/docker/daemon.json").content_string == '{"debug": true,,}'
    finally:
        host.run_expect([0], "cp /root/daemon.json.good /etc/docker/daemon.json")
    assert host.file("/etc/docker/daemon.json").content_string == good


def test_option_clashing_with_the_units_flags_is_refused(host):
    if name(host) != "daemon-bookworm":
        pytest.skip("one server is enough")
    refused(
        host,
        {"docker_daemon_options": {"hosts": ["unix:///run/docker.sock"]}},
        "'hosts' is in daemon.json and given as '-H'",
        "Nothing was changed",
    )


def test_config_the_daemon_rejects_is_rolled_back(host):
    if is_legacy(host):
        pytest.skip("the daemon.json servers cover this")
    before = host_file_digest(host, "/etc/docker/daemon.json")
    started = host.check_output("docker inspect --format '{{.State.StartedAt}}' sentinel")
    result = ansible_playbook(
        "converge.yml",
        limit=name(host),
        extra_vars={"docker_daemon_options": {"storage-driver": "no-such-driver"}},
    )
    assert result.returncode != 0
    # Engine 26 rejects it up front with dockerd --validate, or the restart fails and the
    # role rolls back; either way the file and the containers are as they were.
    output = " ".join(result.stdout.split())
    assert (
        "dockerd --validate rejects" in output
        or "the previous one was put back and the daemon started again" in output
    ), output[-3000:]
    assert host_file_digest(host, "/etc/docker/daemon.json") == before
    assert host.service("docker").is_running
    assert host.check_output("docker inspect --format '{{.State.StartedAt}}' sentinel") == started
    assert host.check_output("docker inspect --format '{{.State.Running}}' sentinel") == "true"


def test_a_symlinked_daemon_json_stays_a_link_and_no_copies_pile_up(host):
    if is_legacy(host):
        pytest.skip("daemon.json servers only")
    # The administrator keeps daemon.json elsewhere and links it into /etc/docker.
    host.run_expect([0], "mkdir -p /etc/dockyard-admin && mv /etc/docker/daemon.json "
                         "/etc/dockyard-admin/daemon.json && ln -s /etc/dockyard-admin/daemon.json "
                         "/etc/docker/daemon.json")  # fmt: skip
    try:
        for downloads in (4, 5):  # two changes: a copy per change used to stay behind
            result = ansible_playbook(
                "converge.yml",
                limit=name(host),
                extra_vars={"docker_daemon_options": {"max-concurrent-downloads": downloads}},
            )
            assert result.returncode == 0, result.stdout[-3000:]
        assert host.file("/etc/docker/daemon.json").is_symlink
        written = json.loads(host.file("/etc/dockyard-admin/daemon.json").content_string)
        assert written["max-concurrent-downloads"] == 5
        assert host.check_output("find /etc/docker /etc/dockyard-admin -name '*~'") == ""
    finally:
        host.run("cp --remove-destination /etc/dockyard-admin/daemon.json /etc/docker/daemon.json")
    assert ansible_playbook("converge.yml", limit=name(host)).returncode == 0


def test_a_run_interrupted_before_the_reload_is_finished_by_the_next(host):
    if is_legacy(host):
        pytest.skip("daemon.json servers only")
    admins = ["owner=ops-team"]  # planted by prepare.yml
    labels = [*admins, "dockyard.test=interrupted"]
    pid = daemon_pid(host)
    written = ansible_playbook(
        "interrupt.yml", limit=name(host), extra_vars={"interrupt_keys": {"labels": labels}}
    )
    assert written.returncode == 0, written.stdout[-2000:]
    assert docker_info(host)["Labels"] == admins
    try:
        # The file is already as wanted: only the running daemon tells that work is left.
        options = {"docker_daemon_options": {"labels": labels}}
        result = ansible_playbook("converge.yml", limit=name(host), extra_vars=options)
        assert result.returncode == 0, result.stdout[-3000:]
        assert sorted(docker_info(host)["Labels"]) == sorted(labels)
        assert daemon_pid(host) == pid  # labels are reloadable: no restart for them
    finally:
        options = {"docker_daemon_options": {"labels": admins}}
        cleaned = ansible_playbook("converge.yml", limit=name(host), extra_vars=options)
        assert cleaned.returncode == 0, cleaned.stdout[-3000:]
    assert docker_info(host)["Labels"] == admins


def test_live_restore_switched_on_with_a_restart_spares_the_containers(host):
    if is_legacy(host):
        pytest.skip("daemon.json servers only")
    off = ansible_playbook(
        "converge.yml", limit=name(host), extra_vars={"docker_daemon_live_restore": False}
    )
    assert off.returncode == 0, off.stdout[-3000:]
    assert docker_info(host)["LiveRestoreEnabled"] is False
    started = host.check_output("docker inspect --format '{{.State.StartedAt}}' sentinel")
    pid = daemon_pid(host)
    # live-restore back on and a change that needs a restart, in one run: the reload that
    # turns live-restore on must have taken effect before the restart.
    both = ansible_playbook(
        "converge.yml",
        limit=name(host),
        extra_vars={"docker_daemon_log_opts": {"max-size": "11m", "max-file": "3"}},
    )
    assert both.returncode == 0, both.stdout[-3000:]
    assert daemon_pid(host) != pid
    assert docker_info(host)["LiveRestoreEnabled"] is True
    assert host.check_output("docker inspect --format '{{.State.Running}}' sentinel") == "true"
    assert host.check_output("docker inspect --format '{{.State.StartedAt}}' sentinel") == started
    restored = ansible_playbook("converge.yml", limit=name(host))
    assert restored.returncode == 0, restored.stdout[-3000:]


def proxy_log_lines():
    out = subprocess.run(
        ["docker", "exec", "dockyard-lab-proxy", "cat", "/var/log/squid/access.log"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.splitlines()


def test_the_daemon_pulls_through_a_proxy_with_a_login_never_printed(host):
    if is_legacy(host):
        pytest.skip("daemon.json servers only (the drop-in is the same in docker_opts mode)")
    password = PROXY_PASSWORD_FILE.read_text().strip()
    proxy = {"docker_daemon_http_proxy": f"http://dockyard:{password}@{PROXY}",
             "docker_daemon_no_proxy": ["localhost", "127.0.0.1"]}  # fmt: skip
    started = host.check_output("docker inspect --format '{{.State.StartedAt}}' sentinel")
    try:
        result = ansible_playbook("converge.yml", limit=name(host), extra_vars=proxy, args=("-vv",))
        assert result.returncode == 0, result.stdout[-3000:]
        assert password not in result.stdout
        settings = host.file(PROXY_ENV)
        assert (settings.mode, settings.user) == (0o600, "root")
        assert password not in host.file(PROXY_DROPIN).content_string
        # What any user may read of the unit shows the file, never the values.
        shown = host.check_output("systemctl show docker --property=Environment,EnvironmentFiles")
        assert PROXY_ENV in shown and password not in shown
        info = docker_info(host)
        assert info["HttpProxy"] == f"http://xxxxx:xxxxx@{PROXY}"
        assert info["NoProxy"] == "localhost,127.0.0.1"
        # The mirror is asked through the proxy: its log shows the daemon's request.
        seen = len(proxy_log_lines())
        pulled = host.run("docker pull busybox")
        assert pulled.rc == 0, pulled.stderr
        assert "does not appear to conform" not in pulled.stdout  # no fall-back by tag
        through = [line for line in proxy_log_lines()[seen:] if f"{MIRROR}/v2/" in line]
        assert through, "the daemon's requests to the mirror went through the proxy"
        assert all(" dockyard " in line for line in through), "as the login's user"
        # Every request header reached the registry: it answered with schema 2 manifests,
        # not with a schema 1 conversion (which Engine 26 refuses).
        assert not any("prettyjws" in line for line in through), through
        again = ansible_playbook("converge.yml", limit=name(host), extra_vars=proxy)
        assert again.returncode == 0 and " changed=0 " in again.stdout, again.stdout[-2000:]

        # A wrong password: the proxy refuses, so the pull cannot reach the mirror.
        wrong = {**proxy, "docker_daemon_http_proxy": f"http://dockyard:wrong-one@{PROXY}"}
        assert ansible_playbook("converge.yml", limit=name(host), extra_vars=wrong).returncode == 0
        refused = host.run("docker pull busybox")
        assert refused.rc != 0
        assert host.check_output("docker inspect --format '{{.State.Running}}' sentinel") == "true"
    finally:
        removed = ansible_playbook(
            "converge.yml", limit=name(host), extra_vars={"docker_daemon_proxy_remove": True}
        )
        assert removed.returncode == 0, removed.stdout[-3000:]
    assert not host.file(PROXY_DROPIN).exists and not host.file(PROXY_ENV).exists
    assert docker_info(host).get("HttpProxy", "") == ""
    assert host.run("docker pull busybox").rc == 0
    # Every change restarted the daemon; live-restore kept the container running throughout.
    assert host.check_output("docker inspect --format '{{.State.StartedAt}}' sentinel") == started


def test_a_bad_proxy_is_refused_before_any_change_without_showing_its_password(host):
    if name(host) != "daemon-trixie":
        pytest.skip("one server is enough")
    result = refused(
        host,
        {"docker_daemon_http_proxy": "http://dockyard:hush-hush@dockyard-lab-proxy:8888/path"},
        "docker_daemon_http_proxy http://xxxxx:xxxxx@dockyard-lab-proxy:8888/path: no path",
    )
    assert "hush-hush" not in result.stdout
    assert not host.file(PROXY_DROPIN).exists
