"""Several tabs signing in at once in Chromium (issue 23, item 3): a restored browser whose
portal session has ended while its sign-in at the platform lives on; every tab goes through
sign-in at once, and each lands on its own page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

USER = "alex.originator@xy-company.com"
PASSWORD = "password1"
PAGES = ["/account", "/account/notifications", "/account/sessions", "/profile"]


@pytest.mark.parametrize("tabs", [2, 4])
def test_tabs_signing_in_at_once_all_land_on_their_page(
    browser, portal, access_service, redis_client, tabs
):
    context = browser.new_context()
    context.set_default_timeout(15_000)
    try:
        first = context.new_page()
        first.goto(portal.url + "/login")
        first.get_by_label("Email").fill(USER)
        first.get_by_label("Password").fill(PASSWORD)
        first.get_by_role("button", name="Sign in").click()
        first.wait_for_url(portal.url + "/profile")
        sid = next(c["value"] for c in context.cookies() if c["name"] == "portal_session")
        assert redis_client.delete(f"portal:session:{sid}") == 1  # its idle timeout passed

        pages = [first] + [context.new_page() for _ in range(tabs - 1)]
        for page in pages[1:]:
            page.goto(portal.url + "/signed-out")
        # Every tab starts its sign-in before any has an answer (as restored tabs do).
        for page, next_path in zip(pages, PAGES, strict=False):
            page.evaluate("next => { location.href = '/login?next=' + next }", next_path)
        for page, next_path in zip(pages, PAGES, strict=False):
            page.wait_for_url(portal.url + next_path)
            assert "not valid" not in page.locator("main").inner_text()
    finally:
        context.close()
