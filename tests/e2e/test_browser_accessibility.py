"""Every page, the emulator's included, in a real browser on a desktop and a phone viewport:
axe-core finds no WCAG 2.1 A or AA violation, nothing scrolls sideways on the phone, and on the
desktop every control is reached with the Tab key and shows where the focus is."""

from __future__ import annotations

import pytest

from tests.support.browser import PHONE, axe_violations, keyboard_problems, new_page

pytestmark = pytest.mark.browser

ALEX = ("alex.originator@xy-company.com", "password1")
TWO_FACTOR = ("morgan.twofactor@xy-company.com", "password3")


class Audit:
    """Checks each page it is shown, and keeps what it found."""

    def __init__(self, page, phone: bool) -> None:
        self.page, self.phone = page, phone
        self.problems: list[str] = []
        self.pages: list[str] = []

    def check(self, name: str) -> None:
        self.page.wait_for_load_state()
        self.pages.append(name)
        self.problems += [f"[{name}] {line}" for line in axe_violations(self.page)]
        if self.phone:
            width = self.page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                self.problems.append(f"[{name}] scrolls sideways: {width}px")
        else:
            self.problems += [f"[{name}] {line}" for line in keyboard_problems(self.page)]


def sign_in_form(page, user: tuple[str, str]) -> None:
    page.get_by_label("Email").fill(user[0])
    page.get_by_label("Password").fill(user[1])
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_every_page_is_accessible(browser, phone, approval_portal, access_service):
    page = new_page(browser, phone)
    portal, emulator = approval_portal.url, access_service.url
    audit = Audit(page, phone)

    page.goto(portal + "/")
    audit.check("home, signed out")
    page.goto(portal + "/profile")
    page.wait_for_url(emulator + "/**")
    audit.check("emulator: sign-in")
    sign_in_form(page, (ALEX[0], "not the password"))
    audit.check("emulator: sign-in refused")
    sign_in_form(page, ALEX)
    audit.check("emulator: approval")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url(portal + "/profile")
    audit.check("profile")
    page.locator("#raw-authorities summary").click()
    audit.check("profile, codes shown")

    page.goto(portal + "/account")
    audit.check("account details")
    page.get_by_label("Mobile number").fill("0123 456")
    page.get_by_role("button", name="Save changes").click()
    page.locator("#mobileNumber-error").wait_for()
    audit.check("account details, change refused")
    page.goto(portal + "/account/notifications")
    audit.check("email notifications")
    page.goto(portal + "/account/applications")
    audit.check("connected applications")
    page.locator("a[href*='withdraw=']").first.click()
    page.locator("#confirm-withdraw").wait_for()
    audit.check("connected applications, confirm")
    page.goto(portal + "/account/sessions")
    audit.check("sessions")
    page.goto(portal + "/no-such-page")
    audit.check("error page")

    page.goto(emulator + "/api/oauth/authorize?response_type=code&client_id=nobody")
    audit.check("emulator: error page")
    page.goto(emulator + "/")
    audit.check("emulator: signed in")
    page.goto(portal + "/")
    page.locator("header").get_by_role("button", name="Sign out").click()
    page.wait_for_url(portal + "/signed-out**")
    audit.check("signed out")
    page.goto(emulator + "/")
    audit.check("emulator: not signed in")

    page.goto(portal + "/login")
    sign_in_form(page, ALEX)
    page.get_by_role("button", name="Deny").click()
    page.wait_for_url(portal + "/authcallback**")
    audit.check("sign-in cancelled")
    page.goto(emulator + "/logout")
    audit.check("emulator: signed out")
    page.goto(portal + "/login")
    sign_in_form(page, TWO_FACTOR)
    page.get_by_label("Authenticator code").wait_for()
    audit.check("emulator: authenticator code")

    assert len(audit.pages) == 20
    assert audit.problems == [], "\n".join(audit.problems)
    page.context.close()
