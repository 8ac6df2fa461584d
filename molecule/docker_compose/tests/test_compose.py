"""docker_compose: the right Compose for each method, and a project that really runs."""

import pytest
from lab_testing import ansible_playbook, record_fault

EXPECTED = {
    "compose-pip-bookworm": (["/usr/local/bin/docker-compose"], "1.29.2"),
    "compose-auto-bookworm": (["docker-compose"], "1.29.2"),
    "compose-plugin-trixie": (["docker", "compose"], "2."),
}


def cli(host):
    return EXPECTED[host.backend.get_hostname()][0]


def test_compose_reports_the_expected_version(host):
    command, version = EXPECTED[host.backend.get_hostname()]
    out = host.check_output(" ".join([*command, "version", "--short"]))
    assert out.startswith(version), out


PIP_HOST = "compose-pip-bookworm"
VENV_PIP = "/opt/docker-compose/bin/pip"
LOCKS = "/opt/docker-compose/locks"


def only_pip_host(host):
    if host.backend.get_hostname() != PIP_HOST:
        pytest.skip("pip method only")


def locked_pins(host):
    """name==version of every lock file's pin that applies on this host's Python 3.11."""
    pins = set()
    for name in ("1-build-tools.txt", "2-pyyaml.txt", "3-compose.txt"):
        text = host.file(f"{LOCKS}/{name}").content_string.replace("\\\n", " ")
        for line in text.splitlines():
            line = line.strip()
            if line and not line.startswith("#") and 'python_version < "3.11"' not in line:
                assert " --hash=sha256:" in line, line
                pins.add(line.split()[0].lower())
    return pins


def test_pip_install_lives_in_its_own_venv_with_exactly_the_locked_set(host):
    only_pip_host(host)
    link = host.file("/usr/local/bin/docker-compose")
    assert link.is_symlink and link.linked_to == "/opt/docker-compose/bin/docker-compose"
    freeze = host.check_output(f"{VENV_PIP} freeze --all").lower().split()
    installed = {line for line in freeze if not line.startswith("pip==")}
    # Every package in the venv is one the lock files pin (with hashes), and no more.
    assert installed == locked_pins(host)
    assert "docker-compose==1.29.2" in installed and "pyyaml==5.4.1" in installed
    docker_sdk = next(line for line in installed if line.startswith("docker=="))
    assert int(docker_sdk.split("==")[1].split(".")[0]) < 7
    # PEP 668: the system Python was not touched.
    assert host.run("python3 -c 'import compose'").rc != 0


def test_a_release_without_a_lock_is_refused_before_any_change(host):
    only_pip_host(host)
    before = host.check_output(f"{VENV_PIP} freeze --all")
    result = ansible_playbook(
        "converge.yml", limit=PIP_HOST, extra_vars={"docker_compose_pip_version": "1.28.6"}
    )
    assert result.returncode != 0
    text = " ".join(result.stdout.split())
    assert "docker_compose_pip_version is 1.28.6" in text and "Nothing was changed" in text
    assert "changed=0" in text
    assert host.check_output(f"{VENV_PIP} freeze --all") == before


def test_an_index_serving_a_tampered_file_is_refused_and_nothing_from_it_installed(host):
    only_pip_host(host)
    wheel = "six-1.17.0-py2.py3-none-any.whl"
    # A mirror that serves six 1.17.0 with other bytes (no hash in its link, as a
    # compromised or corrupting mirror would), on the server itself.
    host.run_expect(
        [0],
        "set -e; rm -rf /root/tampered; mkdir -p /root/tampered/simple/six /root/tampered/packages;"
        f' python3 -c "import urllib.request; data = urllib.request.urlopen('
        f"'http://dockyard-lab-pypi/packages/{wheel}').read();"
        f" open('/root/tampered/packages/{wheel}', 'wb').write(data + b'tampered')\";"
        f" echo '<a href=\"../../packages/{wheel}\">{wheel}</a>'"
        " > /root/tampered/simple/six/index.html;"
        " systemd-run --unit tampered-index python3 -m http.server 8089 --bind 127.0.0.1"
        " --directory /root/tampered",
    )
    host.run_expect(
        [0],
        'for i in $(seq 50); do python3 -c "import urllib.request;'
        " urllib.request.urlopen('http://127.0.0.1:8089/simple/six/')\" 2>/dev/null && exit 0;"
        " sleep 0.2; done; exit 1",
    )
    try:
        host.run_expect([0], f"{VENV_PIP} uninstall --yes six")
        result = ansible_playbook(
            "converge.yml",
            limit=PIP_HOST,
            extra_vars={
                "docker_compose_pip_index_url": "http://127.0.0.1:8089/simple/",
                "docker_compose_pip_trusted_host": "127.0.0.1",
            },
        )
        assert result.returncode != 0
        text = " ".join(result.stdout.split())
        assert "DO NOT MATCH THE HASHES" in text and "six==1.17.0" in text
        assert host.run(f"{VENV_PIP} show six").rc != 0, "nothing from the mirror installed"
    finally:
        host.run("systemctl stop tampered-index")
    # The lab's index (the scenario's setting) puts the real six back.
    result = ansible_playbook("converge.yml", limit=PIP_HOST)
    assert result.returncode == 0, result.stdout[-3000:]
    assert host.check_output(f"{VENV_PIP} show six").startswith("Name: six")
    assert {
        line
        for line in host.check_output(f"{VENV_PIP} freeze --all").lower().split()
        if not line.startswith("pip==")
    } == locked_pins(host)
    record_fault(
        "a package index serving a tampered file",
        "six removed from the Compose v1 venv, then the role run against an index that serves"
        " six 1.17.0 with other bytes",
        "pip (every step runs with --require-hashes from the role's lock files): THESE"
        " PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE, naming six==1.17.0",
        "six not installed from it; the next run against the real index restores exactly the"
        " locked set",
    )


def test_small_project_comes_up_reports_running_and_goes_down(host):
    compose = " ".join(
        [
            *cli(host),
            "--project-directory",
            "/root/smoke",
            "--file",
            "/root/smoke/docker-compose.yml",
            "--project-name",
            "smoke",
        ]
    )
    try:
        host.run_expect([0], f"{compose} up -d")
        ps = host.check_output(
            "docker ps --filter label=com.docker.compose.project=smoke --format '{{.State}}'"
        )
        assert ps.split() == ["running"]
    finally:
        host.run_expect([0], f"{compose} down")
    assert (
        host.check_output("docker ps -a --filter label=com.docker.compose.project=smoke -q") == ""
    )


def test_pip_method_on_python_313_is_refused_before_any_change(host):
    if host.backend.get_hostname() != "compose-plugin-trixie":
        pytest.skip("Debian 13 has Python 3.13")
    result = ansible_playbook(
        "converge.yml", limit="compose-plugin-trixie", extra_vars={"docker_compose_method": "pip"}
    )
    assert result.returncode != 0
    assert "Use docker_compose_method: plugin" in " ".join(result.stdout.split())
    assert not host.file("/opt/docker-compose").exists


def test_plugin_without_a_v2_package_is_refused_with_the_alternatives(host):
    if host.backend.get_hostname() != "compose-auto-bookworm":
        pytest.skip("Debian 12 with the distribution's engine has no v2 package")
    result = ansible_playbook(
        "converge.yml",
        limit="compose-auto-bookworm",
        extra_vars={"docker_compose_method": "plugin"},
    )
    assert result.returncode != 0
    text = " ".join(result.stdout.split())
    assert "no Compose v2 package" in text and "docker_compose_method: distro or pip" in text
