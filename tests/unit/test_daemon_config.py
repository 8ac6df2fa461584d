"""The docker_daemon role's decisions: what is valid, what is merged, reload or restart."""

from __future__ import annotations

import pytest
from daemon_config import (
    apply_action,
    changed_keys,
    clashes,
    docker_opts_value,
    input_errors,
    insecure_registry_error,
    legacy_docker_opts,
    live_matches,
    live_stale_keys,
    merge_config,
    mirror_error,
    parse_daemon_json,
    proxy_env,
    proxy_errors,
    proxy_live_problems,
    proxy_mask,
    unit_properties,
)

DEBIAN_UNIT = """\
ExecStart={ path=/usr/sbin/dockerd ; argv[]=/usr/sbin/dockerd -H fd:// $DOCKER_OPTS ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }
EnvironmentFiles=/etc/default/docker (ignore_errors=yes)
MainPID=4242
ActiveState=active
FragmentPath=/lib/systemd/system/docker.service
"""  # noqa: E501 - verbatim systemctl output

CE_UNIT = """\
ExecStart={ path=/usr/bin/dockerd ; argv[]=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock ; ignore_errors=no }
MainPID=77
ActiveState=active
FragmentPath=/usr/lib/systemd/system/docker.service
"""  # noqa: E501


@pytest.mark.parametrize(
    "url",
    [
        "https://docker.mirrors.ustc.edu.cn",
        "http://mirror:5000",
        "http://10.0.0.5:5000/",
        "https://[2001:db8::1]:443",
    ],
)
def test_good_mirrors_pass(url: str) -> None:
    assert mirror_error(url) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://x", "scheme 'ftp'"),
        ("mirror:5000", "no scheme"),
        ("http://mirror:5000/x", "has a path"),
        ("http://mirror:5000?a=1", "query"),
        ("http://user:secret@mirror:5000", "credentials"),
        ("http://mirror:99999", "port"),
        ("http://", "no valid host"),
        ("http://bad_host!:5000", "no valid host"),
        ("", "not a URL"),
        # urlsplit drops tabs and newlines: these would otherwise pass as http://mirror:5000
        # and break the DOCKER_OPTS line they are written into.
        ("http://mir\nror:5000", "white space or a control character"),
        ("http://mirror:5000\t", "white space or a control character"),
        ("http://mirror:5000\n--debug", "white space or a control character"),
        ("http://mirror :5000", "white space or a control character"),
    ],
)
def test_bad_mirrors_are_named_with_the_reason(url: str, reason: str) -> None:
    error = mirror_error(url)
    assert error is not None
    assert reason in error


def test_credentials_in_a_mirror_are_not_echoed_back() -> None:
    errors = input_errors({"registry-mirrors": ["http://user:hunter2@mirror:5000"]})
    assert len(errors) == 1
    assert "credentials" in errors[0]
    assert "hunter2" not in errors[0]
    assert "user" not in errors[0]
    assert "***@mirror:5000" in errors[0]


@pytest.mark.parametrize(
    "entry", ["registry.lan:5000", "10.1.0.0/16", "myhost", "192.168.1.4:5000"]
)
def test_good_insecure_registries_pass(entry: str) -> None:
    assert insecure_registry_error(entry) is None


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("http://registry.lan:5000", "no scheme here"),
        ("reg:0", "port"),
        ("10.1.0.0/99", "CIDR"),
        ("registry.lan:5000\n--debug", "white space or a control character"),
    ],
)
def test_bad_insecure_registries_are_refused(entry: str, reason: str) -> None:
    error = insecure_registry_error(entry)
    assert error is not None
    assert reason in error


def test_log_opts_must_be_strings() -> None:
    errors = input_errors({"log-opts": {"max-size": "10m", "max-file": 3}})
    assert errors == [
        "log-opts 'max-file': 3 must be a string (dockerd rejects numbers here): write \"3\""
    ]


def test_missing_or_empty_file_parses_as_empty() -> None:
    assert parse_daemon_json(None, "/etc/docker/daemon.json") == {
        "ok": True,
        "config": {},
        "error": "",
    }
    assert parse_daemon_json("  \n", "/etc/docker/daemon.json")["config"] == {}


def test_malformed_file_names_the_file_and_the_error() -> None:
    result = parse_daemon_json('{"debug": true,,}', "/etc/docker/daemon.json")
    assert not result["ok"]
    assert result["error"].startswith("/etc/docker/daemon.json is not valid JSON: ")
    assert "line 1" in result["error"]


def test_a_json_array_is_not_a_configuration() -> None:
    result = parse_daemon_json("[1, 2]", "/x.json")
    assert not result["ok"]
    assert "JSON object" in result["error"]


def test_merge_keeps_hand_written_keys_and_sets_managed_ones() -> None:
    existing = {"data-root": "/srv/docker", "registry-mirrors": ["http://old:5000"]}
    managed = {"registry-mirrors": ["http://new:5000"], "live-restore": True}
    assert merge_config(existing, managed) == {
        "data-root": "/srv/docker",
        "live-restore": True,
        "registry-mirrors": ["http://new:5000"],
    }


def test_merge_removes_only_keys_asked_for() -> None:
    merged = merge_config({"debug": True, "icc": False}, {}, remove=["debug", "not-there"])
    assert merged == {"icc": False}


def test_changed_keys_sees_additions_removals_and_new_values() -> None:
    assert changed_keys({"a": 1, "b": 2}, {"b": 3, "c": 4}) == ["a", "b", "c"]
    assert changed_keys({"a": [1]}, {"a": [1]}) == []


@pytest.mark.parametrize(
    ("keys", "action"),
    [
        ([], "none"),
        (["registry-mirrors"], "reload"),
        (["registry-mirrors", "live-restore", "insecure-registries", "debug"], "reload"),
        (["registry-mirrors", "log-opts"], "restart"),
        (["data-root"], "restart"),
        # As moby's reload code has it (v20.10.24, v26.1.5): these apply on SIGHUP ...
        (["default-shm-size", "default-ipc-mode", "default-cgroupns-mode"], "reload"),
        (["network-diagnostic-port", "authorization-plugins"], "reload"),
        # ... and these do not, whatever older references said.
        (["builder"], "restart"),
        (["features"], "restart"),
    ],
)
def test_reload_only_when_every_changed_key_is_reloadable(keys: list[str], action: str) -> None:
    assert apply_action(keys) == action


def test_unit_properties_of_debians_unit() -> None:
    unit = unit_properties(DEBIAN_UNIT)
    assert unit == {
        "main_pid": 4242,
        "active": True,
        "fragment": "/lib/systemd/system/docker.service",
        "command_line": "/usr/sbin/dockerd -H fd:// $DOCKER_OPTS",
        "reads_default_file": True,
    }


def test_docker_ce_unit_does_not_read_the_default_file() -> None:
    unit = unit_properties(CE_UNIT)
    assert not unit["reads_default_file"]
    assert "--containerd=" in unit["command_line"]


def test_hosts_clashes_with_dash_h() -> None:
    found = clashes(
        {"hosts": ["unix:///run/docker.sock"], "debug": True}, "/usr/sbin/dockerd -H fd://"
    )
    assert found == ["'hosts' is in daemon.json and given as '-H' on dockerd's command line"]


def test_mirror_flag_in_docker_opts_clashes_with_the_json_key() -> None:
    line = "/usr/sbin/dockerd -H fd:// --registry-mirror=http://m:5000 --containerd=/x"
    assert clashes({"registry-mirrors": ["http://m:5000"], "containerd": "/y"}, line) == [
        "'containerd' is in daemon.json and given as '--containerd=/x' on dockerd's command line",
        "'registry-mirrors' is in daemon.json and given as '--registry-mirror=http://m:5000' on "
        "dockerd's command line",
    ]


def test_no_clash_for_unrelated_keys() -> None:
    assert clashes({"live-restore": True}, "/usr/sbin/dockerd -H fd:// $DOCKER_OPTS") == []


def test_docker_opts_value_reads_the_last_assignment() -> None:
    text = '# DOCKER_OPTS="--dns 8.8.8.8"\nDOCKER_OPTS="--dns 1.1.1.1 --registry-mirror=http://a"\n'
    assert docker_opts_value(text) == "--dns 1.1.1.1 --registry-mirror=http://a"
    assert docker_opts_value(None) == ""


def test_legacy_opts_replace_registry_flags_and_keep_the_rest() -> None:
    current = "--dns 1.1.1.1 --registry-mirror http://old:5000 --insecure-registry=r:5000"
    new = legacy_docker_opts(current, {"registry-mirrors": ["https://registry.docker-cn.com"]})
    assert new == "--dns 1.1.1.1 --registry-mirror=https://registry.docker-cn.com"


def test_legacy_opts_are_stable_on_a_second_pass() -> None:
    settings = {"registry-mirrors": ["http://m:5000"], "insecure-registries": ["r:5000"]}
    once = legacy_docker_opts("", settings)
    assert legacy_docker_opts(once, settings) == once


def test_live_configuration_must_show_what_was_written() -> None:
    info = {
        "LiveRestoreEnabled": True,
        "RegistryConfig": {
            "Mirrors": ["http://m:5000/"],
            "IndexConfigs": {"r:5000": {"Secure": False}, "docker.io": {"Secure": True}},
            "InsecureRegistryCIDRs": ["127.0.0.0/8"],
        },
    }
    wanted = {
        "registry-mirrors": ["http://m:5000"],
        "live-restore": True,
        "insecure-registries": ["r:5000", "127.0.0.0/8"],
    }
    assert live_matches(info, wanted) == []
    assert live_matches(info, {"registry-mirrors": ["http://other:5000"]}) == [
        "registry mirrors: daemon has ['http://m:5000'], written ['http://other:5000']"
    ]
    assert live_matches(info, {"live-restore": False})[0].startswith("live-restore")
    assert live_matches(info, {"insecure-registries": ["x:1"]}) == [
        "insecure registry x:1: not in the daemon's configuration"
    ]


def test_every_key_docker_info_shows_is_confirmed_live() -> None:
    info = {
        "Debug": False,
        "LoggingDriver": "json-file",
        "DefaultRuntime": "runc",
        "Driver": "overlay2",
        "Labels": ["site=lab", "role=web"],
        "LiveRestoreEnabled": True,
    }
    agreeing = {
        "debug": False,
        "log-driver": "json-file",
        "default-runtime": "runc",
        "storage-driver": "overlay2",
        "labels": ["role=web", "site=lab"],
        "live-restore": True,
        # Not shown by docker info: cannot be confirmed, never reported as stale.
        "log-opts": {"max-size": "10m"},
        "max-concurrent-downloads": 5,
    }
    assert live_matches(info, agreeing) == []
    changed = {**agreeing, "debug": True, "log-driver": "journald", "labels": ["site=lab"]}
    assert live_stale_keys(info, changed) == ["debug", "labels", "log-driver"]
    assert "log-driver: daemon has 'json-file', written 'journald'" in live_matches(info, changed)


def test_a_daemon_still_running_the_previous_file_is_stale() -> None:
    # The file already says what is wanted (an interrupted run wrote it), the daemon does not.
    running = {"LiveRestoreEnabled": False, "RegistryConfig": {"Mirrors": []}}
    wanted = {"registry-mirrors": ["http://m:5000"], "live-restore": True}
    assert live_stale_keys(running, wanted) == ["live-restore", "registry-mirrors"]
    assert live_stale_keys({"RegistryConfig": {}}, {}) == []


# The daemon's proxy.
SECRET_PROXY = "http://deploy:s3cr%40t@proxy.lan:3128"  # noqa: S105 - a test value


def test_proxy_mask_hides_user_and_password_as_docker_info_does() -> None:
    assert proxy_mask(SECRET_PROXY) == "http://xxxxx:xxxxx@proxy.lan:3128"
    assert proxy_mask("http://proxy.lan:3128") == "http://proxy.lan:3128"


def test_proxy_env_leaves_out_what_is_not_set() -> None:
    assert proxy_env(SECRET_PROXY, "", ["localhost", ".lan"]) == {
        "HTTP_PROXY": SECRET_PROXY,
        "NO_PROXY": "localhost,.lan",
    }
    assert proxy_env("", "", []) == {}


@pytest.mark.parametrize(
    ("http", "no_proxy", "fragment"),
    [
        ("proxy.lan:3128", [], "a URL such as"),
        ("ftp://deploy:s3cr%40t@proxy.lan:21", [], "a URL such as"),
        ("http://deploy:s3cr%40t@proxy.lan:3128/path", [], "no path"),
        ('http://deploy:s3cr%40t@proxy.lan:3128"', [], "no spaces, quotes"),
        ("http://deploy:s3cr%40t@proxy.lan:99999", [], "a URL such as"),
        ("", ["a b"], "docker_daemon_no_proxy entry"),
        ("", ["a,b"], "docker_daemon_no_proxy entry"),
    ],
)
def test_bad_proxy_settings_are_named_without_the_password(
    http: str, no_proxy: list[str], fragment: str
) -> None:
    errors = proxy_errors(http, "", no_proxy)
    assert len(errors) == 1 and fragment in errors[0], errors
    assert "s3cr" not in errors[0]


def test_good_proxy_settings_pass() -> None:
    assert proxy_errors(SECRET_PROXY, "https://proxy.lan:3129", ["localhost", "10.0.0.0/8"]) == []


def test_proxy_live_problems_compare_the_masked_values() -> None:
    info = {"HttpProxy": "http://xxxxx:xxxxx@proxy.lan:3128", "HttpsProxy": "", "NoProxy": ""}
    assert proxy_live_problems(info, {"HTTP_PROXY": SECRET_PROXY}) == []
    problems = proxy_live_problems(info, {})
    assert problems == ["HTTP_PROXY: daemon has 'http://xxxxx:xxxxx@proxy.lan:3128', wanted 'none'"]
    assert proxy_live_problems({}, {"NO_PROXY": "localhost"}) == [
        "NO_PROXY: daemon has 'none', wanted 'localhost'"
    ]
