"""A real browser (Debian's chromium, driven by selenium) pointed at a lab server.

The lab has no DNS for the examples' names: chromium maps the public name to the server's
address (--host-resolver-rules), and trusts the lab certificate's key alone
(--ignore-certificate-errors-spki-list), so TLS is checked for the name, not skipped.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def spki_sha256(certificate: Path) -> str:
    """base64 of the SHA-256 of the certificate's public key, as chromium wants it."""
    public = subprocess.run(
        ["openssl", "x509", "-pubkey", "-noout", "-in", str(certificate)],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    der = subprocess.run(
        ["openssl", "pkey", "-pubin", "-outform", "der"],
        input=public, capture_output=True, check=True,
    ).stdout  # fmt: skip
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


@contextmanager
def browser(name: str, address: str, certificate: Path | None = None) -> Iterator[WebDriver]:
    """Headless chromium that resolves `name` to `address` (and trusts `certificate`)."""
    options = Options()
    options.binary_location = CHROMIUM
    with tempfile.TemporaryDirectory(prefix="dockyard-chromium-") as profile:
        for argument in (
            "--headless=new",
            "--no-sandbox",  # chromium runs as root in the lab
            "--disable-dev-shm-usage",
            "--window-size=1280,1000",
            f"--user-data-dir={profile}",
            f"--host-resolver-rules=MAP {name} {address}",
            # Plain http:// stays plain (the staging example is served over HTTP).
            "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable",
        ):
            options.add_argument(argument)
        if certificate is not None:
            options.add_argument(
                f"--ignore-certificate-errors-spki-list={spki_sha256(certificate)}"
            )
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        driver.set_page_load_timeout(30)
        try:
            yield driver
        finally:
            driver.quit()


def wait_for(driver: WebDriver, css: str, timeout: float = 20) -> None:
    WebDriverWait(driver, timeout).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
    )


class Steps:
    """Screenshots of each step, numbered, in one folder."""

    def __init__(self, driver: WebDriver, folder: Path) -> None:
        self.driver, self.folder, self.count = driver, folder, 0
        folder.mkdir(parents=True, exist_ok=True)

    def shot(self, step: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        assert self.driver.save_screenshot(str(path)), f"no screenshot for {step}"
        return path


def stylesheet_rules(driver: WebDriver, href_part: str) -> int:
    """How many CSS rules the page's stylesheet whose address holds `href_part` brought."""
    count = driver.execute_script(
        "return Array.from(document.styleSheets)"
        ".filter(s => (s.href || '').includes(arguments[0]))"
        ".map(s => s.cssRules.length).reduce((a, b) => a + b, 0);",
        href_part,
    )
    return int(count)


def write_a_post(driver: WebDriver, base: str, steps: Steps, user: str, password: str,
                 title: str, body: str) -> None:  # fmt: skip
    """Log in to the admin, write a post, save it; screenshots of each step."""
    driver.get(f"{base}/admin/login/?next=/admin/")
    wait_for(driver, "#id_username")
    steps.shot("login-form")
    driver.find_element(By.ID, "id_username").send_keys(user)
    driver.find_element(By.ID, "id_password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(driver, "#site-name")
    assert driver.current_url == f"{base}/admin/", driver.current_url
    steps.shot("admin-index")
    driver.get(f"{base}/admin/posts/post/add/")
    wait_for(driver, "#id_title")
    driver.find_element(By.ID, "id_title").send_keys(title)
    # The admin's slug from a Chinese title is empty: give one.
    slug = "browser-" + hashlib.sha256(title.encode()).hexdigest()[:10]
    driver.find_element(By.ID, "id_slug").clear()
    driver.find_element(By.ID, "id_slug").send_keys(slug)
    driver.find_element(By.ID, "id_body").send_keys(body)
    steps.shot("post-form")
    driver.find_element(By.NAME, "_save").click()
    wait_for(driver, "ul.messagelist li.success")
    steps.shot("post-saved")


def log_out(driver: WebDriver, base: str, steps: Steps) -> None:
    """The admin's logout, a POST form since Django 5."""
    driver.get(f"{base}/admin/")
    wait_for(driver, "#logout-form")
    driver.find_element(By.CSS_SELECTOR, "#logout-form button[type=submit]").click()
    wait_for(driver, "#content h1")
    steps.shot("logged-out")
