"""Two-factor sign-in (RFC 6238 codes, computed here with pyotp) and the lockout."""

from __future__ import annotations

import pyotp

from tests.access_service.helpers import ALEX, EXAMPLE, csrf_token
from tests.access_service.inprocess import Emulator

MORGAN = ("morgan.twofactor@xy-company.com", "password3")
SECRET = "OSRLNDIIR7LJ7HIMDC66TOIWZYD5Z32V"  # as docs/emulator.md shows it
AUTHORIZE = {
    "response_type": "code",
    "client_id": EXAMPLE[0],
    "redirect_uri": "https://my-application-url/authcallback",
}


def code_at(emulator: Emulator, offset_steps: int = 0) -> str:
    """The demo user's authenticator code at the emulator's clock."""
    return pyotp.TOTP(SECRET).at(int(emulator.clock.now) + 30 * offset_steps)


def start(emulator: Emulator, user=MORGAN, password: str | None = None):
    """A browser that asked to authorize and posted the password; (browser, response)."""
    browser = emulator.browser()
    browser.get("/api/oauth/authorize", query_string=AUTHORIZE)
    return browser, emulator.sign_in(browser, (user[0], password or user[1]))


def post_code(browser, code: str):
    """Post the code form."""
    page = browser.get("/login/code").get_data(as_text=True)
    return browser.post("/login/code", data={"csrf_token": csrf_token(page), "code": code})


def test_password_then_code_signs_in_and_continues_the_authorization(emulator):
    browser, response = start(emulator)
    assert response.status_code == 303 and response.location.endswith("/login/code")
    page = browser.get("/login/code").get_data(as_text=True)
    assert '<label for="code">Authenticator code</label>' in page
    assert 'autocomplete="one-time-code"' in page
    assert "You are signed in" not in browser.get("/").get_data(as_text=True)  # not yet
    signed_in = post_code(browser, code_at(emulator))
    assert signed_in.status_code == 302 and "/api/oauth/authorize?" in signed_in.location
    back = browser.get(signed_in.location)
    assert back.status_code == 303 and "code=" in back.location


def test_a_code_one_step_either_side_is_accepted(emulator):
    for offset in (-1, 1):
        browser, _ = start(emulator)
        assert post_code(browser, code_at(emulator, offset)).status_code == 302
        emulator.clock.advance(90)  # each code once: move on to fresh ones


def test_a_wrong_or_old_code_is_refused(emulator):
    browser, _ = start(emulator)
    current = {code_at(emulator, step) for step in (-1, 0, 1)}
    wrong = [code_at(emulator, -2), code_at(emulator, 2), "000000"]
    for code in [c for c in wrong if c not in current]:
        response = post_code(browser, code)
        assert response.status_code == 200
        assert "That code is not right" in response.get_data(as_text=True)


def test_a_code_works_once(emulator):
    browser, _ = start(emulator)
    code = code_at(emulator)
    assert post_code(browser, code).status_code == 302
    other, _ = start(emulator)
    replay = post_code(other, code)
    assert replay.status_code == 200 and "That code is not right" in replay.get_data(as_text=True)


def test_the_code_step_without_a_password_goes_back_to_sign_in(emulator):
    response = emulator.browser().get("/login/code")
    assert response.status_code == 303 and response.location.endswith("/login")


def test_the_code_step_expires(emulator):
    browser, _ = start(emulator)
    emulator.clock.advance(301)
    response = post_code_without_page(browser, code_at(emulator))
    assert response.status_code == 303 and response.location.endswith("/login")


def post_code_without_page(browser, code: str):
    """Post the code with a CSRF token from the sign-in page (the code page is gone)."""
    token = csrf_token(browser.get("/login").get_data(as_text=True))
    return browser.post("/login/code", data={"csrf_token": token, "code": code})


def test_five_wrong_codes_lock_the_account(emulator):
    browser, _ = start(emulator)
    for _ in range(4):
        assert "That code is not right" in post_code(browser, "000001").get_data(as_text=True)
    locked = post_code(browser, "000001")
    assert "locked" in locked.get_data(as_text=True)
    # Locked: even the right password and code get nowhere, and so does the password grant.
    browser, response = start(emulator)
    assert response.status_code == 200 and "locked" in response.get_data(as_text=True)
    refused = emulator.token(grant_type="password", username=MORGAN[0], password=MORGAN[1])
    assert refused.get_json() == {
        "error": "invalid_grant",
        "error_description": "User account is locked",
    }
    emulator.clock.advance(901)  # the lock ends
    browser, response = start(emulator)
    assert response.status_code == 303
    assert post_code(browser, code_at(emulator)).status_code == 302


def test_five_wrong_passwords_lock_any_account(emulator):
    for _ in range(5):
        _, response = start(emulator, ALEX, password="wrong")
    assert "locked" in response.get_data(as_text=True)
    refused = emulator.token(grant_type="password", username=ALEX[0], password=ALEX[1])
    assert refused.get_json()["error_description"] == "User account is locked"


def test_a_success_resets_the_count(emulator):
    for _ in range(4):
        start(emulator, ALEX, password="wrong")
    _, response = start(emulator, ALEX)
    assert response.status_code == 302
    for _ in range(4):
        _, response = start(emulator, ALEX, password="wrong")
    assert "Incorrect email or password." in response.get_data(as_text=True)


def test_the_password_grant_does_not_get_round_the_second_factor(emulator):
    refused = emulator.token(grant_type="password", username=MORGAN[0], password=MORGAN[1])
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "invalid_grant"
    assert "Two-factor" in refused.get_json()["error_description"]


def test_users_me_says_mfa_enabled(emulator):
    browser, _ = start(emulator)
    back = browser.get(post_code(browser, code_at(emulator)).location)
    code = back.location.split("code=")[1].split("&")[0]
    issued = emulator.token(
        grant_type="authorization_code", code=code, redirect_uri=AUTHORIZE["redirect_uri"]
    ).get_json()
    me = emulator.api("GET", "/api/v1/users/me", issued["access_token"]).get_json()
    assert me["mfaEnabled"] is True and me["email"] == MORGAN[0]
