"""Sign-out in a real browser (Debian's Chromium through Playwright): in a tab whose session
has ended, from the no-referrer error pages, and without a Referer behind a staging proxy on a
port other than 443 (the production nginx example, tests/support/staging.py)."""

from __future__ import annotations

import re

import pytest

from tests.support.staging import staging

pytestmark = pytest.mark.browser

USER = "alex.originator@xy-company.com"
PASSWORD = "password1"


@pytest.fixture(scope="module")
def stage(redis_server, tmp_path_factory):
    with staging(redis_server.url, tmp_path_factory.mktemp("staging")) as started:
        yield started


@pytest.fixture()
def context(browser):
    """A fresh context that takes the staging host's self-made certificate."""
    context = browser.new_context(ignore_https_errors=True)
    context.set_default_timeout(10_000)
    yield context
    context.close()


def sign_in(page, stage) -> None:
    page.goto(stage.url + "/login")
    page.get_by_label("Email").fill(USER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(stage.url + "/profile")


def signed_out_of_both(page, stage) -> None:
    """On the signed-out page, the platform's sign-out confirmed; the next visit asks for a
    password rather than signing the previous person straight back in."""
    page.wait_for_url(re.compile(re.escape(stage.url + "/signed-out?") + ".*state="))
    assert "and of Cocoon Data" in page.locator("#sign-out-result").inner_text()
    page.goto(stage.url + "/profile")
    page.wait_for_url(stage.emulator.url + "/**")
    assert page.get_by_label("Password").is_visible()


def test_sign_out_in_a_tab_whose_session_ended_signs_out_of_both(context, stage, redis_client):
    """Issue 23, item 1: the session's idle timeout passed (Redis expired its key) while the
    platform's own sign-in in this browser lives on; Sign out must still end that one."""
    page = context.new_page()
    sign_in(page, stage)
    sid = next(c["value"] for c in context.cookies() if c["name"] == "__Host-session")
    assert redis_client.delete(f"portal:session:{sid}") == 1
    page.get_by_role("button", name="Sign out").click()
    signed_out_of_both(page, stage)


def test_sign_out_from_a_no_referrer_error_page_works(context, stage, redis_client):
    page = context.new_page()
    sign_in(page, stage)
    response = page.goto(stage.url + "/authcallback?state=not-a-state-of-this-browser-at-all")
    assert response.status == 400
    assert response.headers["referrer-policy"] == "no-referrer"
    page.get_by_role("button", name="Sign out").click()  # Chromium: Origin: null, no Referer
    signed_out_of_both(page, stage)
