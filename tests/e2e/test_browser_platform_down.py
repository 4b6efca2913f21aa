"""The platform down, in a real browser (issue 23, item 7): the portal's own pages say what
happened, never Chromium's "This site can't be reached"."""

from __future__ import annotations

import pytest

from tests.support.emulator import emulator_with
from tests.support.environment import portal_environment
from tests.support.processes import Portal

pytestmark = pytest.mark.browser


def test_sign_out_and_sign_in_while_the_platform_is_down(
    browser, redis_server, redis_client, tmp_path
):
    with emulator_with(tmp_path) as emulator:
        environ = portal_environment(redis_server.url, emulator.url, PLATFORM_PROBE_INTERVAL="0")
        portal = Portal(tmp_path / "portal", environ).start()
        context = browser.new_context()
        context.set_default_timeout(10_000)
        try:
            page = context.new_page()
            page.goto(portal.url + "/login")
            page.get_by_label("Email").fill("alex.originator@xy-company.com")
            page.get_by_label("Password").fill("password1")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(portal.url + "/profile")

            emulator.stop()  # the platform goes down while this person is signed in
            page.get_by_role("button", name="Sign out").click()
            page.wait_for_url(portal.url + "/signed-out")
            main = page.locator("main").inner_text()
            assert "You are signed out" in main
            assert "sign-in service cannot be reached just now" in main

            page.get_by_role("link", name="Sign in again").click()
            assert page.url.startswith(portal.url + "/login")
            assert "The sign-in service cannot be reached" in page.locator("main").inner_text()
        finally:
            context.close()
            portal.stop()
