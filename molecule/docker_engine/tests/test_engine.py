"""The engine role's promises, checked on each converged lab server."""

import json
import os
import shutil
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from dockyard_lab import aptrepo, services
from lab_testing import ansible_playbook, failure_message, host_file_digest, record_fault

ROOT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])


def test_engine_is_active_and_enabled(host):
    service = host.service("docker")
    assert service.is_running
    assert service.is_enabled


def test_listed_user_reaches_the_engine_through_the_group(host):
    assert "docker" in host.user("deploy").groups
    out = host.run("runuser -u deploy -- docker info --format '{{.ServerVersion}}'")
    assert out.rc == 0, out.stderr
    assert out.stdout.strip()


def test_exclusive_membership_takes_out_whoever_is_not_listed(host):
    members = host.check_output("getent group docker").split(":")[3].split(",")
    if host.backend.get_hostname() == "engine-trixie":
        assert members == ["deploy"]  # "intruder" was put in by prepare.yml
        assert host.user("intruder").exists  # the account itself is untouched
    else:
        assert "deploy" in members


def test_container_runs_on_the_engine(host):
    if host.file("/root/busybox.tar").exists:  # the offline lab: nothing can be pulled
        host.run_test("docker load --input /root/busybox.tar")
        image = "dockyard-lab/busybox:latest"
    else:
        image = "busybox:latest"
    out = host.run(f"docker run --rm {image} echo hello-from-nested")
    assert out.rc == 0, out.stderr
    assert out.stdout.strip() == "hello-from-nested"


def test_nested_engine_uses_overlay2(host):
    driver = host.check_output("docker info --format '{{.Driver}}'")
    assert driver == "overlay2"


def test_python_sdk_talks_to_the_engine(host):
    venv_python = "/opt/docker-sdk/bin/python"
    python = venv_python if host.file(venv_python).exists else "python3"
    out = host.check_output(
        f"{python} -c 'import docker, json; print(json.dumps(docker.from_env().version()))'"
    )
    assert json.loads(out)["ApiVersion"]


def test_docker_ce_source_comes_from_the_signed_repository(host):
    if host.backend.get_hostname() != "engine-bookworm-ce":
        pytest.skip("only the docker-ce server uses the lab repository")
    sources = host.file("/etc/apt/sources.list.d/docker.sources")
    assert sources.mode == 0o644
    assert "Signed-By: /etc/apt/keyrings/docker.asc" in sources.content_string
    assert "URIs: http://dockyard-lab-aptrepo" in sources.content_string
    policy = host.check_output("apt-cache policy docker.io")
    installed = policy.split("***", 1)[1].splitlines()
    assert any("dockyard-lab-aptrepo" in line for line in installed[:3]), policy


def test_a_hand_made_docker_list_is_commented_out_not_deleted(host):
    if host.backend.get_hostname() != "engine-bookworm-ce":
        pytest.skip("only the docker-ce server was given a hand-made source (prepare.yml)")
    lines = host.file("/etc/apt/sources.list.d/docker.list").content_string.splitlines()
    assert lines[0] == "# kept: the admin's own note"
    assert lines[1].startswith("# deb [arch=amd64 signed-by=/usr/share/keyrings/")
    assert lines[1].endswith("  # replaced by docker.sources (docker_engine role)")
    policy = host.run("apt-cache policy docker.io")
    assert policy.rc == 0, policy.stderr
    assert "Conflicting values" not in policy.stdout + policy.stderr
    keyrings = host.file("/etc/apt/keyrings")
    assert keyrings.is_directory and keyrings.mode == 0o755


def test_wrong_key_fingerprint_stops_before_apt_trusts_anything(host):
    if host.backend.get_hostname() != "engine-bookworm-ce":
        pytest.skip("only the docker-ce server uses the lab repository")
    before = host_file_digest(host, "/etc/apt/keyrings/docker.asc")
    result = ansible_playbook(
        "converge.yml",
        limit="engine-bookworm-ce",
        extra_vars={"docker_engine_repo_key_fingerprint": "0000 1111 2222 3333 4444"},
    )
    assert result.returncode != 0
    assert "not the trusted" in result.stdout
    assert "00001111222233334444" in result.stdout
    assert host_file_digest(host, "/etc/apt/keyrings/docker.asc") == before


def test_distro_source_where_none_exists_fails_before_any_change(host):
    if host.backend.get_hostname() != "engine-bookworm":
        pytest.skip("one server is enough")
    result = ansible_playbook(
        "converge.yml",
        limit="engine-bookworm",
        extra_vars={"docker_engine_source": "distro", "docker_engine_distro_packages": []},
    )
    assert result.returncode != 0
    assert "has no Docker" in result.stdout and "docker-ce" in result.stdout


def test_bad_argument_is_refused_by_the_spec(host):
    if host.backend.get_hostname() != "engine-bookworm":
        pytest.skip("one server is enough")
    result = ansible_playbook(
        "converge.yml", limit="engine-bookworm", extra_vars={"docker_engine_source": "snap"}
    )
    assert result.returncode != 0
    assert "docker_engine_source" in result.stdout and "snap" in result.stdout


FUTURE_REPO = "dockyard-lab-future-aptrepo"


def test_a_server_whose_clock_is_behind_is_told_so_and_keeps_its_engine(host):
    if host.backend.get_hostname() != "engine-bookworm-ce":
        pytest.skip("the docker-ce source on Debian 12")
    # The lab's repository as a server whose clock is a day behind sees it: its index dated
    # a day ahead, signed with the same key.
    dest = Path(tempfile.mkdtemp(prefix="future-aptrepo-", dir=ROOT / ".lab" / "build"))
    aptrepo.write_redated_copy("bookworm", dest, timedelta(days=1))
    dest.chmod(0o755)
    version = "dpkg-query --show --showformat '${Version}' docker.io"
    before = host.check_output(version)
    try:
        services.ensure_service(
            FUTURE_REPO,
            ["python3", "-m", "http.server", "80", "--directory", "/srv/repo"],
            mounts=[f"{dest}:/srv/repo:ro"],
        )
        services.wait_http(f"http://{services.container_ip(FUTURE_REPO)}/gpg")
        result = ansible_playbook(
            "converge.yml",
            limit="engine-bookworm-ce",
            extra_vars={"docker_engine_repo_url": f"http://{FUTURE_REPO}"},
        )
    finally:
        subprocess.run(["docker", "rm", "--force", FUTURE_REPO], check=False, capture_output=True)
        shutil.rmtree(dest)
    assert result.returncode != 0
    said = failure_message(result.stdout)
    assert "not valid yet: the clock of this server is behind" in said, said
    assert "Nothing was installed" in said and "timedatectl set-ntp true" in said
    assert host.service("docker").is_running
    assert host.check_output(version) == before
    # The repository as the scenario names it again: the source file put back, converged.
    again = ansible_playbook("converge.yml", limit="engine-bookworm-ce")
    assert again.returncode == 0, again.stdout[-3000:]
    assert FUTURE_REPO not in host.file("/etc/apt/sources.list.d/docker.sources").content_string
    record_fault(
        "host clock behind",
        "the docker-ce repository served with its index dated a day ahead (signed with the "
        "same key: what a server whose clock is a day behind sees), then the lab's again",
        said,
        "the engine package unchanged and the daemon running; the next run against the "
        "repository as configured converges",
    )
