"""docker-compose.yml's `dev` profile up as written (portal, emulator, Redis, nginx with TLS on
https://localhost and https://localhost:9443), used through nginx by Chromium as a person
would: sign in, the account pages, sign out; the portal's container locked down; a restart
of the portal and a stop of Redis as the people signed in see them."""

from __future__ import annotations

import re
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Error as PlaywrightError

from tests.support.podman import Stack

# The first test waits for the images and the stack (debootstrap on a cold cache).
pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

PORTAL = "https://localhost"
EMULATOR = "https://localhost:9443"
USER = ("alex.originator@xy-company.com", "password1")
ACCOUNT_PAGES = {
    "/account": "Account details",
    "/account/applications": "Connected applications",
    "/account/sessions": "Sessions",
    "/account/notifications": "Email notifications",
}


@pytest.fixture()
def page(browser, stack) -> Iterator:
    """A fresh browser context that accepts the stack's self-signed certificate, as the docs
    tell a person to (test_tls_is_the_stacks_own_certificate checks which one it is)."""
    context = browser.new_context(ignore_https_errors=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def sign_in(page) -> None:
    """From the home page through the emulator's sign-in form (behind nginx) to the profile."""
    page.goto(PORTAL + "/")
    page.locator("main").get_by_role("link", name="Sign in").click()
    page.wait_for_url(EMULATOR + "/**")
    page.get_by_label("Email").fill(USER[0])
    page.get_by_label("Password").fill(USER[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(PORTAL + "/profile")
    assert page.locator("#user-name").inner_text() == USER[0]


def wait_for_status(page, url: str, status: int, timeout: float = 90):
    """Open url until it answers status: the outage or the recovery may take a moment (after
    a restart nginx keeps the portal's old address up to its resolver's valid=10s). A failed
    navigation counts as not yet: Chromium gives up on one when it sees this machine's network
    change (ERR_NETWORK_CHANGED), as a container's interface is made or removed."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            response = page.goto(url)
        except PlaywrightError:
            if time.monotonic() > deadline:
                raise
        else:
            if response.status == status or time.monotonic() > deadline:
                return response
        time.sleep(0.5)


def test_tls_is_the_stacks_own_certificate(stack: Stack, tmp_path: Path) -> None:
    certificate = tmp_path / "localhost.crt"
    certificate.write_text(stack.exec("nginx", "cat", "/etc/nginx/certs/localhost.crt").stdout)
    served = ssl.get_server_certificate(("127.0.0.1", 443))
    assert ssl.PEM_cert_to_DER_cert(served) == ssl.PEM_cert_to_DER_cert(certificate.read_text())
    # Verified as a browser that trusts it would: the name localhost, both addresses.
    home = requests.get(PORTAL + "/", verify=str(certificate), timeout=10)
    assert home.status_code == 200
    assert requests.get(EMULATOR + "/api/oauth/token_key", verify=str(certificate), timeout=10).ok
    assert requests.get(PORTAL + "/metrics", verify=str(certificate), timeout=10).status_code == 403
    assert "Strict-Transport-Security" not in home.headers


def test_sign_in_account_pages_and_sign_out_through_nginx(page) -> None:
    sign_in(page)
    cookie = next(c for c in page.context.cookies() if c["name"] == "__Host-session")
    assert cookie["secure"] and cookie["httpOnly"]
    for path, heading in ACCOUNT_PAGES.items():
        response = page.goto(PORTAL + path)
        assert response.status == 200, path
        assert page.url == PORTAL + path
        assert page.get_by_role("heading", level=1).inner_text() == heading
    page.goto(PORTAL + "/profile")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(re.escape(PORTAL + "/signed-out?") + ".*state="))
    assert "and of Cocoon Data" in page.locator("#sign-out-result").inner_text()
    assert page.get_by_role("button", name="Sign out").count() == 0


def test_portal_runs_as_its_user_on_a_read_only_root(stack: Stack) -> None:
    config = stack.inspect("portal")
    assert config["HostConfig"]["ReadonlyRootfs"] is True
    assert stack.exec("portal", "id", "-u").stdout.strip() == "10001"
    refused = stack.exec("portal", "touch", "/app/written", check=False)
    assert refused.returncode != 0 and "Read-only file system" in refused.stderr
    stack.exec("portal", "touch", "/tmp/written")
    status = stack.exec("portal", "cat", "/proc/1/status").stdout
    assert re.search(r"^CapEff:\s+0+$", status, re.M), status
    assert re.search(r"^NoNewPrivs:\s+1$", status, re.M), status


def test_health_checks_pass(stack: Stack) -> None:
    for service in ("portal", "redis", "access-service"):
        name = stack.container(service)
        assert stack.podman.run("healthcheck", "run", name, check=False).returncode == 0, service
        state = stack.inspect(service)["State"]
        assert state["Health"]["Status"] == "healthy", (service, state["Health"])
    assert stack.inspect("tls-cert")["State"]["ExitCode"] == 0


def test_a_restart_of_the_portal_keeps_people_signed_in(page, stack: Stack) -> None:
    sign_in(page)
    before = stack.started_at("portal")
    stack.podman.compose("restart", "portal")
    assert stack.started_at("portal") != before
    stack.wait_healthy("portal")
    response = wait_for_status(page, PORTAL + "/profile", 200)
    assert response.status == 200
    assert page.url == PORTAL + "/profile"
    assert page.locator("#user-name").inner_text() == USER[0]


def test_redis_stopped_shows_503_and_recovers_without_a_restart(page, stack: Stack) -> None:
    sign_in(page)
    portal_started = stack.started_at("portal")
    stack.podman.compose("stop", "redis")
    try:
        response = wait_for_status(page, PORTAL + "/profile", 503)
        assert response.status == 503
        assert page.get_by_role("heading", level=1).inner_text() == "Temporarily unavailable"
        assert response.headers.get("retry-after") == "5"
        assert "Traceback" not in page.content()
    finally:
        stack.podman.compose("start", "redis")
    stack.wait_healthy("redis")
    response = wait_for_status(page, PORTAL + "/profile", 200)
    assert response.status == 200
    assert page.locator("#user-name").inner_text() == USER[0]  # Redis' append-only file
    assert stack.started_at("portal") == portal_started
