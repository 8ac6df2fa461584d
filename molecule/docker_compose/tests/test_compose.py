"""docker_compose: the right Compose for each method, and a project that really runs."""

import pytest
from lab_testing import ansible_playbook

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


def test_pip_install_lives_in_its_own_venv_with_the_pinned_set(host):
    if host.backend.get_hostname() != "compose-pip-bookworm":
        pytest.skip("pip method only")
    link = host.file("/usr/local/bin/docker-compose")
    assert link.is_symlink and link.linked_to == "/opt/docker-compose/bin/docker-compose"
    freeze = host.check_output("/opt/docker-compose/bin/pip freeze")
    assert "docker-compose==1.29.2" in freeze and "PyYAML==5.4.1" in freeze
    docker_sdk = next(line for line in freeze.splitlines() if line.startswith("docker=="))
    assert int(docker_sdk.split("==")[1].split(".")[0]) < 7
    # PEP 668: the system Python was not touched.
    assert host.run("python3 -c 'import compose'").rc != 0


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
