"""The portal in a real browser: Debian's Chromium driven by Playwright, against gunicorn, the
emulator and Redis over real HTTP.

The portal here signs in as `approvalClientApplication`, which the emulator does not approve
automatically, so every sign-in shows the approval page a person would see.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pyotp
import pytest

from tests.support.browser import PHONE

pytestmark = pytest.mark.browser

USER = "alex.originator@xy-company.com"
PASSWORD = "password1"
# The emulator's demo user with two-factor sign-in (docs/emulator.md).
TWO_FACTOR_USER = "morgan.twofactor@xy-company.com"
TWO_FACTOR_PASSWORD = "password3"
TWO_FACTOR_SECRET = "OSRLNDIIR7LJ7HIMDC66TOIWZYD5Z32V"


@pytest.fixture()
def page(browser):
    """A page in a fresh context (no cookies from other tests)."""
    context = browser.new_context()
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture()
def phone(browser):
    """A page in a fresh phone-sized, touch-enabled context."""
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def sign_in_at_emulator(page) -> None:
    """Fill the emulator's sign-in form as a person would."""
    page.get_by_label("Email").fill(USER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_approve_profile_and_sign_out(page, approval_portal, access_service):
    page.goto(approval_portal.url + "/")
    page.locator("main").get_by_role("link", name="Sign in").click()
    page.wait_for_url(access_service.url + "/**")
    sign_in_at_emulator(page)
    page.get_by_role("button", name="Approve").click()

    page.wait_for_url(approval_portal.url + "/profile")
    assert page.locator("#user-name").inner_text() == USER
    assert page.locator("#token-expiry time").count() == 1

    page.get_by_role("button", name="Sign out").click()
    # Through the access-service's own sign-out and back (OpenID Connect RP-Initiated Logout).
    page.wait_for_url(re.compile(re.escape(approval_portal.url + "/signed-out?") + ".*state="))
    assert "and of Cocoon Data" in page.locator("#sign-out-result").inner_text()
    assert page.get_by_role("button", name="Sign out").count() == 0

    # A shared computer: the next person opens a signed-in page and is asked for a password,
    # not signed straight back in as the previous user.
    page.goto(approval_portal.url + "/profile")
    page.wait_for_url(access_service.url + "/**")
    assert page.get_by_label("Password").is_visible()
    assert page.locator("#user-name").count() == 0


def test_denying_access_shows_a_clear_page(page, approval_portal, access_service):
    page.goto(approval_portal.url + "/login")
    sign_in_at_emulator(page)
    with page.expect_response(lambda response: "/authcallback" in response.url) as callback:
        page.get_by_role("button", name="Deny").click()

    assert callback.value.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "Sign-in cancelled"
    assert page.get_by_role("link", name="Try again").is_visible()
    assert page.get_by_role("button", name="Sign out").count() == 0


def test_signed_out_visit_goes_through_sign_in_and_back(page, approval_portal, access_service):
    wanted = approval_portal.url + "/profile?from=browser-test"
    page.goto(wanted)
    page.wait_for_url(access_service.url + "/**")
    sign_in_at_emulator(page)
    page.get_by_role("button", name="Approve").click()

    page.wait_for_url(wanted)
    assert page.locator("#user-name").inner_text() == USER


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, PHONE], ids=["wide", "phone"])
def test_the_header_keeps_its_height_and_no_request_fails(
    browser, viewport, approval_portal, access_service
):
    """Signing in does not push the page down (the header is as tall signed in as signed out),
    and nothing a page asks for, the icon included, answers an error."""
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(10_000)
    page = context.new_page()
    answers: list[tuple[int, str]] = []
    page.on("response", lambda response: answers.append((response.status, response.url)))
    header = page.locator("header.topbar")

    page.goto(approval_portal.url + "/")
    signed_out = header.bounding_box()["height"]
    page.locator("main").get_by_role("link", name="Sign in").click()
    sign_in_at_emulator(page)
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url(approval_portal.url + "/profile")
    on_profile = header.bounding_box()["height"]
    page.goto(approval_portal.url + "/")
    on_home = header.bounding_box()["height"]
    icon = page.request.get(approval_portal.url + "/favicon.ico")
    context.close()

    assert signed_out > 0 and on_profile == signed_out and on_home == signed_out
    assert [answer for answer in answers if answer[0] >= 400] == []
    assert len(answers) >= 6
    assert icon.status == 200 and icon.headers["content-type"] in (
        "image/vnd.microsoft.icon",
        "image/x-icon",
    )


def assert_on_screen(page, *controls) -> None:
    """Every control is visible and lies within the viewport's width; nothing scrolls sideways."""
    for control in controls:
        assert control.is_visible(), control
        box = control.bounding_box()
        assert box is not None and box["width"] > 0, control
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (control, box)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE["width"], f"{page.url} scrolls sideways: {scroll_width}px"


def test_phone_viewport_shows_every_control(phone, approval_portal, access_service, tmp_path):
    shots = Path(os.environ.get("BROWSER_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)

    phone.goto(approval_portal.url + "/")
    sign_in_links = phone.get_by_role("link", name="Sign in")
    assert sign_in_links.count() == 2  # header and card
    assert_on_screen(phone, sign_in_links.nth(0), sign_in_links.nth(1))
    phone.screenshot(path=shots / "1-home.png", full_page=True)

    sign_in_links.nth(1).click()
    phone.wait_for_url(access_service.url + "/**")
    assert_on_screen(
        phone,
        phone.get_by_label("Email"),
        phone.get_by_label("Password"),
        phone.get_by_role("button", name="Sign in"),
    )
    phone.screenshot(path=shots / "2-sign-in.png", full_page=True)
    sign_in_at_emulator(phone)

    approve = phone.get_by_role("button", name="Approve")
    assert_on_screen(phone, approve, phone.get_by_role("button", name="Deny"))
    phone.screenshot(path=shots / "3-approve.png", full_page=True)
    approve.click()

    phone.wait_for_url(approval_portal.url + "/profile")
    assert_on_screen(
        phone, phone.locator("#user-name"), phone.get_by_role("button", name="Sign out")
    )
    phone.screenshot(path=shots / "4-profile.png")  # the top: a long list of permissions follows


def test_a_user_with_two_factor_sign_in_signs_in(page, approval_portal, access_service):
    """The platform asks users with two-factor authentication for an authenticator code after
    the password; the portal needs nothing more."""
    page.goto(approval_portal.url + "/profile")
    page.wait_for_url(access_service.url + "/**")
    page.get_by_label("Email").fill(TWO_FACTOR_USER)
    page.get_by_label("Password").fill(TWO_FACTOR_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Authenticator code").fill(pyotp.TOTP(TWO_FACTOR_SECRET).now())
    page.keyboard.press("Enter")  # from the keyboard, as a person would
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url(approval_portal.url + "/profile")
    assert page.locator("#user-name").inner_text() == TWO_FACTOR_USER
