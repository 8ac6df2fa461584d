"""The staging and production examples as users copy them, converged over SSH with become.

Servers are inspected from the lab's side (a root shell through the container), while
every playbook run goes through SSH as the examples' deploy user.
"""

import json
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from lab_browser import Steps, browser, log_out, stylesheet_rules, wait_for, write_a_post
from lab_testing import ansible_playbook, assert_came_over_ssh_with_sudo, lab_server
from selenium.webdriver.common.by import By

SITE = "../../site.yml"
# Each example's own domain (django_stack_allowed_hosts) and where its blog listens.
DOMAINS = {"staging1.example.com": "staging1.example.com", "web1.example.com": "blog.example.com"}
ENGINE = "5:26.1.5-1~debian.13~trixie"


def name(host):
    return host.backend.get_hostname()


@pytest.fixture
def server(host):
    """A root shell on the lab server, past SSH, for looking only."""
    return lab_server(name(host))


def get(server, host_header, path="/"):
    """Status of a GET to the blog on the server itself, with the given Host header: to the
    web container's port, or through the HTTPS front where one runs (production), which is
    then the only way in (its certificate is for the public name: not checked here)."""
    front = server.backend.get_hostname() == "web1.example.com"
    url = f"https://127.0.0.1{path}" if front else f"http://127.0.0.1:8000{path}"
    script = (
        "import ssl, urllib.request, urllib.error\n"
        f"r = urllib.request.Request({url!r}, headers={{'Host': {host_header!r}}})\n"
        "c = ssl._create_unverified_context()\n"
        "try:\n    print(urllib.request.urlopen(r, timeout=10, context=c).status)\n"
        "except urllib.error.HTTPError as e:\n    print(e.code)\n"
    )
    # A few tries: on a busy machine a read can time out (the lanes of make molecule).
    for _ in range(5):
        answer = server.run(f"python3 -c {shlex.quote(script)}")
        if answer.rc == 0:
            break
        time.sleep(3)
    assert answer.rc == 0, answer.stderr
    return int(answer.stdout)


def test_each_example_answers_for_its_own_domain_only(host, server):
    assert get(server, DOMAINS[name(host)]) == 200
    assert get(server, DOMAINS[name(host)], "/healthz") == 200
    assert get(server, "not-this-site.example.org") == 400


# Each example's django_stack_public_url: staging over plain HTTP to the web container,
# production through its HTTPS front (nginx in the compose project, TLS on port 443).
PUBLIC = {
    "staging1.example.com": "http://staging1.example.com",
    "web1.example.com": "https://blog.example.com",
}
LAB_CA = Path(__file__).resolve().parents[3] / ".lab" / "tls" / "ca.pem"
EDITOR = ("probe-editor", "a-lab-only-password-1")
# Sets the editor's password through the web container's own Django (stdin, not argv).
MAKE_EDITOR = (
    "from django.contrib.auth import get_user_model\n"
    "u, _ = get_user_model().objects.get_or_create(username={user!r})\n"
    "u.is_staff = u.is_superuser = True\n"
    "u.set_password({password!r})\n"
    "u.save()\n"
)
# A browser's requests, made on the server itself: to the web container's port over HTTP,
# or to the front's port 443 over TLS, checked against the lab CA alone for the public name.
CLIENT = """
import http.client, json, socket, ssl, urllib.parse
url, cadata = {args!r}
parts = urllib.parse.urlsplit(url)
class Front(http.client.HTTPSConnection):
    def connect(self):
        sock = socket.create_connection(("127.0.0.1", 443), 10)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)
def call(method, path, headers, body=None):
    if parts.scheme == "https":
        trust = ssl.create_default_context(cadata=cadata)
        c = Front(parts.hostname, 443, timeout=10, context=trust)
    else:
        c = http.client.HTTPConnection("127.0.0.1", 8000, timeout=10)
        headers = {{"Host": parts.hostname, **headers}}
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    r.read()
    hsts = r.getheader("Strict-Transport-Security", "")
    return r.status, r.getheader("Location", ""), r.msg.get_all("Set-Cookie") or [], hsts
"""
# The admin login, request by request: the form's CSRF cookie, the POST with Origin and
# Referer, then /admin/ with the session. Cookies are carried by hand.
LOGIN = (
    CLIENT
    + """
origin, user, password = {login!r}
def cookie_header():
    return "; ".join(k + "=" + v for k, v in jar.items())
_, _, set_cookies, _ = call("GET", "/admin/login/", {{}})
jar = dict(c.split(";")[0].split("=", 1) for c in set_cookies)
form = urllib.parse.urlencode({{"username": user, "password": password, "next": "/admin/",
                                "csrfmiddlewaretoken": jar["csrftoken"]}})
headers = {{"Origin": origin, "Referer": origin + "/admin/login/",
           "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie_header()}}
status, location, login_cookies, hsts = call("POST", "/admin/login/", headers, form)
jar.update(c.split(";")[0].split("=", 1) for c in login_cookies)
admin, _, _, _ = call("GET", "/admin/", {{"Cookie": cookie_header()}})
print(json.dumps({{"status": status, "location": location, "admin": admin, "hsts": hsts,
                  "secure": [c.split(";")[0].split("=")[0] for c in set_cookies + login_cookies
                             if "secure" in c.lower().split("; ")]}}))
"""
)


def run_script(server, script):
    for _ in range(5):  # a read may time out on a busy machine (the lanes of make molecule)
        answer = server.run(f"python3 -c {shlex.quote(script)}")
        if answer.rc == 0:
            break
        time.sleep(3)
    assert answer.rc == 0, answer.stderr
    return json.loads(answer.stdout)


def admin_login(server, url, origin):
    """What the blog at `url` answers to an editor logging in with `origin`."""
    script = LOGIN.format(args=(url, LAB_CA.read_text()), login=(origin, *EDITOR))
    return run_script(server, script)


@pytest.fixture
def editor(server):
    web = server.check_output(
        "docker ps --filter label=com.docker.compose.service=web --format '{{.Names}}'"
    )
    code = MAKE_EDITOR.format(user=EDITOR[0], password=EDITOR[1])
    shell = f"docker exec -i {web} python manage.py shell"
    made = server.run(f"printf %s {shlex.quote(code)} | {shell}")
    assert made.rc == 0, made.stderr
    return EDITOR[0]


def test_an_editor_logs_in_to_the_admin_at_the_public_address(host, server, editor):
    url = PUBLIC[name(host)]
    result = admin_login(server, url, url)
    assert (result["status"], result["location"], result["admin"]) == (302, "/admin/", 200)
    if url.startswith("https://"):  # secure cookies and HSTS only where readers use HTTPS
        assert set(result["secure"]) >= {"csrftoken", "sessionid"}
        assert result["hsts"] == "max-age=3600"
    else:
        assert (result["secure"], result["hsts"]) == ([], "")


def test_a_login_posted_from_another_origin_is_refused(host, server, editor):
    url = PUBLIC[name(host)]
    evil = url.split("://")[0] + "://attacker.example.net"
    assert admin_login(server, url, evil)["status"] == 403


# What a reader's browser opens: the name, and where the lab's chromium finds it.
BROWSED = {
    "staging1.example.com": ("staging1.example.com", "http://staging1.example.com:8000"),
    "web1.example.com": ("blog.example.com", "https://blog.example.com"),
}
LAB_CERT = LAB_CA.parent / "blog.example.com.pem"
SHOTS = LAB_CA.parents[1] / "screenshots" / "examples"


def lab_address(server_name):
    out = subprocess.run(
        ["docker", "inspect", "--format",
         "{{(index .NetworkSettings.Networks \"dockyard-lab\").IPAddress}}", server_name],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.strip()


def test_a_browser_writes_a_post_in_the_admin_and_reads_it_on_the_site(host, editor):
    public, base = BROWSED[name(host)]
    title = f"浏览器写的文章 {time.time_ns()}"
    body = "这是一篇用真正的浏览器写的文章。"
    certificate = LAB_CERT if base.startswith("https://") else None
    shutil.rmtree(SHOTS / name(host), ignore_errors=True)
    with browser(public, lab_address(name(host)), certificate) as driver:
        steps = Steps(driver, SHOTS / name(host))
        driver.get(base + "/")
        wait_for(driver, "header h1")
        # The page's own style applies (body max-width 42rem).
        assert driver.execute_script("return getComputedStyle(document.body).maxWidth") == "672px"
        steps.shot("front-page")
        write_a_post(driver, base, steps, EDITOR[0], EDITOR[1], title, body)
        # The admin's stylesheet came through (static files served by the web container).
        assert stylesheet_rules(driver, "/static/admin/css/base") > 50
        driver.get(base + "/")
        wait_for(driver, "ul.posts")
        driver.find_element(By.LINK_TEXT, title).click()
        wait_for(driver, "main")
        assert driver.current_url.startswith(base + "/posts/browser-")
        assert title in driver.page_source and body in driver.page_source
        steps.shot("post-page")
        log_out(driver, base, steps)
        assert driver.find_element(By.CSS_SELECTOR, "#content h1").text == "Logged out"
    assert len(list((SHOTS / name(host)).glob("*.png"))) >= 7


def test_production_is_served_over_tls_for_its_name_and_redirects_plain_http(host, server):
    if name(host) != "web1.example.com":
        pytest.skip("only the production example has the HTTPS front")
    check = CLIENT + "print(json.dumps(call('GET', '/', {{}})[:2]))"
    status = run_script(server, check.format(args=("https://blog.example.com", LAB_CA.read_text())))
    assert status == [200, ""]
    redirect = server.run("python3 -c " + shlex.quote(
        "import http.client; c = http.client.HTTPConnection('127.0.0.1', 80, timeout=10); "
        "c.request('GET', '/about?x=1', headers={'Host': 'blog.example.com'}); "
        "r = c.getresponse(); print(r.status, r.getheader('Location'))"
    ))  # fmt: skip
    assert redirect.stdout.split() == ["301", "https://blog.example.com/about?x=1"]
    # The front is the only way in: the web container publishes no port, not even on loopback
    # (which hosts on the same L2 network reach on Engine < 28), and nothing listens on 8000.
    web = server.check_output("docker ps --quiet --filter label=com.docker.compose.service=web")
    bindings = server.check_output(
        f"docker inspect --format '{{{{json .HostConfig.PortBindings}}}}' {web}"
    )
    assert not json.loads(bindings)
    connect = "import socket; socket.create_connection(('127.0.0.1', 8000), 2)"
    refused = server.run(f"python3 -c {shlex.quote(connect)}")
    assert "ConnectionRefusedError" in refused.stderr


def test_ansible_came_over_ssh_as_deploy_and_became_root_with_sudo(server):
    assert_came_over_ssh_with_sudo(server)


def test_the_engine_came_from_the_repository_laid_out_as_dockers(host, server):
    for package in ("docker-ce", "docker-ce-cli", "containerd.io", "docker-compose-plugin"):
        version = server.check_output(f"dpkg-query --show --showformat '${{Version}}' {package}")
        assert version == ENGINE or package in {"containerd.io", "docker-compose-plugin"}
    held = set(server.check_output("apt-mark showhold").split())
    if name(host) == "web1.example.com":
        assert {"docker-ce", "docker-ce-cli"} <= held
    else:
        assert held == set()
    assert server.check_output("docker compose version --short").startswith("2.")


def test_staging_uses_its_mirror_and_production_its_release(host, server):
    mirrors = json.loads(
        server.check_output("docker info --format '{{json .RegistryConfig.Mirrors}}'")
    )
    web_image = server.check_output(
        "docker ps --filter label=com.docker.compose.service=web --format '{{.Image}}'"
    )
    if name(host) == "staging1.example.com":
        assert mirrors == ["http://dockyard-lab-mirror:5000/"]
        assert web_image == "dockyard/blog:latest"
    else:
        assert not mirrors  # the production example sets none (docker info says null)
        assert web_image == "dockyard-lab-private:5000/blog/web:1.0.0"


@pytest.fixture(scope="module")
def dry_run():
    """One dry run over SSH against both examples (Ansible works on them in parallel)."""
    return ansible_playbook(SITE, limit=",".join(DOMAINS), args=("--check", "--diff"))


def test_a_dry_run_over_ssh_on_the_converged_example_changes_nothing(host, dry_run):
    out = dry_run
    recap = next(
        x for x in out.stdout.splitlines() if x.startswith(f"{name(host)} ") and "ok=" in x
    )
    assert out.returncode == 0, out.stdout[-3000:]
    assert " changed=0 " in recap and " failed=0 " in recap, recap


def test_a_front_port_held_by_another_server_stops_the_deploy_before_any_change(host, server):
    if name(host) != "web1.example.com":
        pytest.skip("only the production example has the HTTPS front")
    ids = (
        "docker ps --quiet --filter label=com.docker.compose.project=blog"
        " --filter label=com.docker.compose.service={}"
    )
    listening = "python3 -c \"import socket; socket.create_connection(('127.0.0.1', 80), 2)\""
    server.check_output(f"docker rm --force $({ids.format('front')})")
    web = server.check_output(ids.format("web"))
    server.check_output("systemd-run --unit=squatter python3 -m http.server 80")
    try:
        for _ in range(10):  # until it listens
            if server.run(listening).rc == 0:
                break
            time.sleep(1)
        out = ansible_playbook(SITE, limit=name(host))
        assert out.returncode != 0
        assert "Port(s) 80 on web1.example.com already taken by python3" in out.stdout
        assert "Nothing was changed" in out.stdout
        assert server.check_output(ids.format("web")) == web
        assert server.check_output(ids.format("front")) == ""
    finally:
        server.run("systemctl stop squatter")
    again = ansible_playbook(SITE, limit=name(host))
    assert again.returncode == 0, again.stdout[-3000:]
    assert server.check_output(ids.format("front")) != ""
