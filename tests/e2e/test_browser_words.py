"""What people read, in a real browser, on a desktop and on a phone: the emulator's approval page
(the application by the name the portal gives it, every permission in words and none hidden in a
box, the return address wrapped only between its parts), a refused detail (the field's label and
its hint's example), the greeting (one name on home and profile), withdrawing the portal's own
approval (said before and after), and the page for a session store that is down (no Sign in).
axe-core finds nothing on any of them."""

from __future__ import annotations

import re

import pytest

from tests.support.browser import axe_violations, new_page

pytestmark = pytest.mark.browser

ALEX = ("alex.originator@xy-company.com", "password1")
APPROVAL_CLIENT = {
    "COCOON_CLIENT_ID": "approvalClientApplication",
    "COCOON_CLIENT_SECRET": "approvalClientApplicationSecret",
}
DESCRIPTION = "Example client application that asks for approval"  # the demo data's
VIEWPORTS = pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])

# For each text node of the return address: how many lines it takes.
LINES_OF_EACH_PART = """element => [...element.childNodes]
    .filter(node => node.nodeType === Node.TEXT_NODE && node.textContent)
    .map(node => {
        const range = document.createRange();
        range.selectNodeContents(node);
        const tops = new Set([...range.getClientRects()].map(rect => Math.round(rect.top)));
        return [node.textContent, tops.size];
    })"""
# Whether anything on the path from the list to the page hides part of it.
CLIPPED = """element => {
    for (let node = element; node && node !== document.body; node = node.parentElement) {
        const style = getComputedStyle(node);
        if (node.scrollHeight > node.clientHeight + 1 && style.overflowY !== 'visible') return true;
    }
    return false;
}"""


def sign_in_form(page, user: tuple[str, str] = ALEX) -> None:
    page.get_by_label("Email").fill(user[0])
    page.get_by_label("Password").fill(user[1])
    page.get_by_role("button", name="Sign in").click()


def sign_out(page, portal_url: str) -> None:
    """Sign out, so that no session of this test is left on the shared portal for the tests
    that count alex's sessions there (tests/e2e/test_browser_account.py)."""
    page.locator("header").get_by_role("button", name="Sign out").click()
    page.wait_for_url(portal_url + "/signed-out**")


@VIEWPORTS
def test_the_approval_page_says_everything_in_words(browser, phone, approval_portal):
    page = new_page(browser, phone)
    page.goto(approval_portal.url + "/login")
    sign_in_form(page)
    page.get_by_role("button", name="Approve").wait_for()

    assert page.locator("#application").inner_text() == DESCRIPTION
    items = page.locator("#scopes li")
    words = items.all_inner_texts()
    codes = page.locator("details.codes code").all_text_contents()  # closed: not rendered
    assert len(words) == len(codes) >= 30 and all(code.startswith("SCOPE_") for code in codes)
    assert not [text for text in words if "SCOPE_" in text or text.isupper()], words
    assert "See your contacts" in words and "View files" in words
    for index in range(items.count()):  # each item whole, in view once scrolled to
        item = items.nth(index)
        assert not item.evaluate(CLIPPED), words[index]
        item.scroll_into_view_if_needed()
        assert item.is_visible()
        box = item.bounding_box()
        assert box and box["height"] > 0 and box["x"] >= 0
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]

    address = page.locator("#return-to")
    assert address.inner_text() == approval_portal.url + "/authcallback"
    parts = address.evaluate(LINES_OF_EACH_PART)
    assert parts[0][0] == "http://" and all(lines == 1 for _, lines in parts), parts

    page.locator("details.codes summary").click()
    assert page.locator("details.codes code").first.is_visible()
    assert axe_violations(page) == []
    page.context.close()


@VIEWPORTS
def test_a_refused_detail_names_its_field_and_the_example_of_its_hint(browser, phone, portal):
    page = new_page(browser, phone)
    page.goto(portal.url + "/account")
    sign_in_form(page)
    page.wait_for_url(portal.url + "/account")
    mobile = page.get_by_label("Mobile number")
    mobile.fill("0123 456")
    page.get_by_role("button", name="Save changes").click()
    error = page.locator("#mobileNumber-error")
    message = error.inner_text()
    assert message.startswith("Mobile number ") and "mobileNumber" not in message
    hint = page.locator("#mobileNumber-hint").inner_text()
    examples = re.findall(r"\+[\d ]*\d", message)
    assert examples and all(example in hint for example in examples), (message, hint)
    assert axe_violations(page) == []
    sign_out(page, portal.url)
    page.context.close()


def test_home_and_profile_greet_by_the_same_name(browser, portal):
    page = new_page(browser)
    # Through /login: a signed-out /profile would leave a line without a user in the shared
    # portal's log, which tests/e2e/test_operations.py reads whole.
    page.goto(portal.url + "/login?next=/profile")
    sign_in_form(page)
    page.wait_for_url(portal.url + "/profile")
    assert page.locator("h1").inner_text() == "Hello, Alex Originator"
    page.goto(portal.url + "/")
    assert page.locator("h1").inner_text() == "Welcome, Alex Originator"
    sign_out(page, portal.url)
    page.context.close()


@VIEWPORTS
def test_withdrawing_the_portals_own_approval_says_why_you_are_signed_out(
    browser, phone, start_access_service, start_portal, redis_server
):
    """Its own emulator and portal: the withdrawal ends tokens no other test should lose."""
    emulator = start_access_service()
    portal = start_portal(redis_server.url, emulator.url, **APPROVAL_CLIENT)
    page = new_page(browser, phone)
    page.goto(portal.url + "/account/applications")
    sign_in_form(page)
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url(portal.url + "/account/applications")
    assert "this portal" in page.locator("#applications").inner_text()
    other = new_page(browser, phone)  # the person's other browser, signed in too
    other.goto(portal.url + "/profile")
    sign_in_form(other)
    other.get_by_role("button", name="Approve").click()
    other.wait_for_url(portal.url + "/profile")
    page.locator("a[href*='withdraw=']").first.click()
    warning = page.locator("#own-approval")
    assert "signs you out of the portal" in warning.inner_text()
    assert "approve the portal again" in warning.inner_text()
    assert axe_violations(page) == []

    page.get_by_role("button", name="Withdraw access").click()
    page.wait_for_url(portal.url + "/signed-out?reason=approval-withdrawn")
    said = page.locator("#approval-withdrawn").inner_text()
    assert "You withdrew this portal's access" in said and "approve this portal again" in said
    assert page.locator("header").get_by_role("link", name="Sign in").is_visible()
    assert axe_violations(page) == []
    # What was said holds: the other browser is signed out of the portal too (back through
    # the platform, which asks for the approval again)...
    other.goto(portal.url + "/profile")
    other.get_by_role("button", name="Approve").wait_for()
    assert not other.url.startswith(portal.url)
    other.context.close()
    # ... and signing in again here asks for the approval first.
    page.locator("header").get_by_role("link", name="Sign in").click()
    page.get_by_role("button", name="Approve").wait_for()
    assert page.locator("#application").inner_text() == DESCRIPTION
    page.context.close()


@VIEWPORTS
def test_the_session_store_down_page_offers_no_sign_in(
    browser, phone, start_redis, start_portal, access_service
):
    redis = start_redis()
    portal = start_portal(redis.url, access_service.url)
    page = new_page(browser, phone)
    page.goto(portal.url + "/profile")
    sign_in_form(page)
    page.wait_for_url(portal.url + "/profile")
    redis.stop()

    response = page.goto(portal.url + "/profile?tab=1")
    assert response is not None and response.status == 503
    main = page.locator("main").inner_text()
    assert "you will not need to sign in again" in main
    assert page.get_by_text("Sign in", exact=True).count() == 0
    assert page.get_by_role("button", name="Sign out").count() == 0
    again = page.get_by_role("link", name="Try again")
    assert again.get_attribute("href") == "/profile?tab=1"
    assert axe_violations(page) == []
    page.context.close()
