"""The account pages in a real browser, used from the keyboard: editing (a refusal shown beside
its field), withdrawing an application, ending a session from another browser, signing out
everywhere, a token that expires between two pages, and the platform down."""

from __future__ import annotations

import base64
import time

import msgspec
import pytest
import redis

from app.cocoon.sealing import TokenSealer
from tests.support.browser import axe_violations, new_page
from tests.support.emulator import approve_client, refresh_stops_working, token_requests

pytestmark = pytest.mark.browser

ALEX = ("alex.originator@xy-company.com", "password1")
CLIENT = ("exampleClientApplication", "exampleClientApplicationSecret")


def sign_in(page, portal_url: str, path: str = "/account") -> None:
    """Open a page of the portal and sign in at the emulator from the keyboard."""
    page.goto(portal_url + path)
    page.get_by_label("Email").fill(ALEX[0])
    page.get_by_label("Password").fill(ALEX[1])
    page.keyboard.press("Enter")
    page.wait_for_url(portal_url + path)


def activate(locator) -> None:
    """Reach a control with the keyboard's focus and press Enter on it."""
    locator.focus()
    locator.press("Enter")


def status_of_next_request(page, url: str) -> int:
    """The status this browser's next request to url gets (its cookies, no redirect followed)."""
    return page.context.request.get(url, max_redirects=0).status


def refresh_token_of(page, portal, redis_url: str) -> str:
    """The refresh token the browser's session holds, as the portal would open it."""
    key = portal.env["TOKEN_ENCRYPTION_KEYS"]
    sealer = TokenSealer([base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))])
    store = redis.Redis.from_url(redis_url)
    [cookie] = [c for c in page.context.cookies() if c["name"] == "portal_session"]
    data = msgspec.msgpack.decode(store.get(f"portal:session:{cookie['value']}"))
    return sealer.open(store.get(f"portal:grant:{data['grant']}")).refresh_token


def test_edit_and_withdraw_from_the_keyboard(browser, portal, access_service):
    approve_client(access_service.url, *ALEX)
    page = new_page(browser)
    sign_in(page, portal.url)
    assert page.locator("#account-email").inner_text() == ALEX[0]

    mobile = page.get_by_label("Mobile number")
    mobile.fill("0123 456")
    mobile.press("Enter")
    error = page.locator("#mobileNumber-error")
    assert error.inner_text().startswith("Mobile number must start with +")
    assert mobile.get_attribute("aria-invalid") == "true"
    assert mobile.input_value() == "0123 456"  # what was typed is kept
    mobile.fill("+1 234 567 8910")
    mobile.press("Enter")
    page.wait_for_url(portal.url + "/account?saved=1")
    assert "Your change was saved." in page.locator("main").inner_text()

    page.goto(portal.url + "/account/applications")
    listed = page.locator("#applications li")
    count = listed.count()
    assert count >= 1
    activate(listed.first.get_by_role("link", name="Withdraw"))
    activate(page.get_by_role("button", name="Withdraw access"))
    page.wait_for_url(portal.url + "/account/applications?withdrawn=1")
    assert page.locator("#applications li").count() == count - 1

    page.goto(portal.url + "/profile")
    summary = page.locator("#raw-authorities summary")
    activate(summary)
    assert page.locator("#permissions").is_visible()
    page.context.close()


def test_end_one_session_then_sign_out_everywhere(browser, portal, access_service, redis_server):
    laptop, phone = new_page(browser), new_page(browser, phone=True)
    sign_in(laptop, portal.url, "/account/sessions")
    sign_in(phone, portal.url, "/account/sessions")
    laptop.reload()
    assert laptop.locator("#sessions > li").count() >= 2
    assert laptop.locator("#sessions > li.current").inner_text().count("This session") == 1
    phone_refresh = refresh_token_of(phone, portal, redis_server.url)

    phone_row = laptop.locator("#sessions > li", has_text="Safari on iPhone")
    assert phone_row.count() == 1
    activate(phone_row.get_by_role("button", name="End"))
    laptop.wait_for_url(portal.url + "/account/sessions?ended=1")
    assert status_of_next_request(phone, portal.url + "/account/sessions") == 302
    assert refresh_stops_working(access_service.url, phone_refresh, CLIENT)

    phone.goto(portal.url + "/account/sessions")  # still signed in at the emulator: back in
    phone.wait_for_url(portal.url + "/account/sessions")
    phone_refresh = refresh_token_of(phone, portal, redis_server.url)
    activate(laptop.get_by_role("button", name="Sign out everywhere"))
    laptop.wait_for_url(portal.url + "/signed-out**")
    assert "will renew none of your sessions" in laptop.locator("#everywhere-result").inner_text()
    assert axe_violations(laptop) == []
    assert status_of_next_request(phone, portal.url + "/account/sessions") == 302
    assert status_of_next_request(laptop, portal.url + "/account/sessions") == 302
    assert refresh_stops_working(access_service.url, phone_refresh, CLIENT)
    laptop.context.close()
    phone.context.close()


def test_a_token_expiring_between_pages_then_the_platform_down(
    browser, start_access_service, start_portal, redis_server
):
    emulator = start_access_service("--access-token-validity", "3")
    portal = start_portal(redis_server.url, emulator.url, workers=1)
    page = new_page(browser)
    sign_in(page, portal.url)
    refreshes = token_requests(emulator.url, "refresh_token")
    time.sleep(3.1)
    page.goto(portal.url + "/account/notifications")
    assert page.get_by_role("heading", name="Email notifications").is_visible()
    assert token_requests(emulator.url, "refresh_token") == refreshes + 1

    emulator.kill()  # at once, while the renewed token is still valid for a while
    response = page.goto(portal.url + "/account")
    assert response.status == 503
    assert page.get_by_role("heading", level=1).inner_text() == "Cocoon Data is unavailable"
    assert "Traceback" not in page.content()
    assert axe_violations(page) == []
    page.context.close()
