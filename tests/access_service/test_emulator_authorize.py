"""The authorize endpoint through its sign-in form and approval page, like a browser."""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access_service.data import DEMO_DATA
from tests.access_service.helpers import (
    APPROVAL,
    DOC_REDIRECT,
    EXAMPLE,
    SPRING_TOKEN_KEYS,
    SYSTEM,
    Browser,
    csrf_token,
    fragment,
    jwt_part,
    query,
    token,
)

LOOPBACK = "http://127.0.0.1:5000/authcallback"


def s256(verifier: str) -> str:
    """The S256 challenge of a verifier, computed independently of the emulator's code."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def test_sign_in_page_has_labelled_fields_and_csrf(browser):
    response = browser.get("/login")
    assert response.status_code == 200
    page = response.text
    assert '<label for="username">Email</label>' in page
    assert '<label for="password">Password</label>' in page
    assert 'name="csrf_token"' in page
    assert '<button type="submit">Sign in</button>' in page
    assert 'name="viewport"' in page and "<script" not in page
    assert response.headers["Set-Cookie"].startswith("access_service_session=")


def test_sign_in_without_csrf_token_is_refused(browser):
    response = browser.http.post(
        browser.base + "/login", data={"username": "a@b.c", "password": "x"}
    )
    assert response.status_code == 400
    assert "expired" in response.text


def test_wrong_password_shows_the_form_again_without_saying_which(browser):
    response = browser.sign_in(password="wrong")
    assert response.status_code == 200
    assert "Incorrect email or password." in response.text
    unknown = Browser(browser.base, user=("nobody@xy-company.com", "password1")).sign_in()
    assert "Incorrect email or password." in unknown.text


def test_authorization_code_grant_with_state(browser, url):
    response = browser.authorize(
        response_type="code", client_id=EXAMPLE[0], redirect_uri=DOC_REDIRECT, state="xyz 1/2"
    )
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith(DOC_REDIRECT + "?code=")
    params = query(location)
    assert params["state"] == "xyz 1/2"
    code = params["code"]
    assert len(code) == 6 and code.isalnum() and code.isascii()
    issued = token(url, grant_type="authorization_code", code=code, redirect_uri=DOC_REDIRECT)
    assert issued.status_code == 200
    assert list(issued.json()) == SPRING_TOKEN_KEYS
    assert jwt_part(issued.json()["access_token"], 1)["user_name"] == browser.user[0]


def test_signed_in_user_skips_the_form(browser):
    browser.code()
    response = browser.get(
        "/api/oauth/authorize",
        response_type="code",
        client_id=EXAMPLE[0],
        redirect_uri=DOC_REDIRECT,
    )
    assert response.status_code == 303 and "code=" in response.headers["Location"]


def test_code_is_single_use(browser, url):
    code = browser.code()
    first = token(url, grant_type="authorization_code", code=code, redirect_uri=DOC_REDIRECT)
    again = token(url, grant_type="authorization_code", code=code, redirect_uri=DOC_REDIRECT)
    assert first.status_code == 200
    assert again.status_code == 400
    assert again.json() == {
        "error": "invalid_grant",
        "error_description": f"Invalid authorization code: {code}",
    }


def test_redirect_uri_mismatch_spends_the_code(browser, url):
    code = browser.code()
    wrong = token(url, grant_type="authorization_code", code=code, redirect_uri=LOOPBACK)
    assert wrong.status_code == 400
    assert wrong.json() == {"error": "invalid_grant", "error_description": "Redirect URI mismatch."}
    right = token(url, grant_type="authorization_code", code=code, redirect_uri=DOC_REDIRECT)
    assert right.json()["error_description"] == f"Invalid authorization code: {code}"


def test_missing_redirect_uri_at_the_token_endpoint_is_a_mismatch(browser, url):
    code = browser.code()
    response = token(url, grant_type="authorization_code", code=code)
    assert response.json()["error_description"] == "Redirect URI mismatch."


def test_code_of_another_client_is_refused(browser, url):
    code = browser.code()
    response = token(
        url, APPROVAL, grant_type="authorization_code", code=code, redirect_uri=DOC_REDIRECT
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_pkce_right_wrong_and_missing_verifier(browser, url):
    verifier = "v" * 43 + "-._~0123456789"
    params = {"code_challenge": s256(verifier), "code_challenge_method": "S256"}
    right = token(
        url,
        grant_type="authorization_code",
        code=browser.code(**params),
        redirect_uri=DOC_REDIRECT,
        code_verifier=verifier,
    )
    assert right.status_code == 200
    wrong = token(
        url,
        grant_type="authorization_code",
        code=browser.code(**params),
        redirect_uri=DOC_REDIRECT,
        code_verifier="w" * 43,
    )
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    missing = token(
        url, grant_type="authorization_code", code=browser.code(**params), redirect_uri=DOC_REDIRECT
    )
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_grant"


def test_pkce_plain_method_is_refused(browser):
    response = browser.authorize(
        response_type="code",
        client_id=EXAMPLE[0],
        redirect_uri=DOC_REDIRECT,
        state="s",
        code_challenge="x" * 43,
        code_challenge_method="plain",
    )
    assert response.status_code == 303
    assert query(response.headers["Location"]) == {
        "error": "invalid_request",
        "error_description": "Transform algorithm not supported",
        "state": "s",
    }


def test_implicit_grant_puts_the_token_in_the_fragment(browser):
    response = browser.authorize(
        response_type="token", client_id=EXAMPLE[0], redirect_uri=DOC_REDIRECT, state="st"
    )
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith(DOC_REDIRECT + "#access_token=")
    values = fragment(location)
    assert list(values) == ["access_token", "token_type", "state", "expires_in", "scope", "jti"]
    assert values["token_type"] == "bearer" and values["state"] == "st"
    assert 43190 < int(values["expires_in"]) <= 43200
    claims = jwt_part(values["access_token"], 1)
    assert values["scope"].split(" ") == claims["scope"]
    assert values["jti"] == claims["jti"]
    assert "refresh_token" not in values


def test_approval_page_then_approve(url):
    browser = Browser(url)
    page = browser.authorize(
        response_type="code", client_id=APPROVAL[0], redirect_uri=DOC_REDIRECT, state="a"
    )
    assert page.status_code == 200
    assert APPROVAL[0] in page.text and "SCOPE_VIEW" in page.text
    assert ">Example client application that asks for approval</strong>" in page.text
    assert "<li>View files</li>" in page.text  # the scope in words, its code behind <details>
    assert 'value="true">Approve</button>' in page.text
    assert 'value="false" class="secondary">Deny</button>' in page.text
    assert page.headers["X-Frame-Options"] == "DENY"
    approved = browser.answer(page, approve=True)
    assert approved.status_code == 303
    params = query(approved.headers["Location"])
    assert params["state"] == "a" and len(params["code"]) == 6
    issued = token(
        url,
        APPROVAL,
        grant_type="authorization_code",
        code=params["code"],
        redirect_uri=DOC_REDIRECT,
    )
    assert issued.status_code == 200


def test_deny_redirects_with_access_denied_and_state(url):
    browser = Browser(url)
    page = browser.authorize(
        response_type="code", client_id=APPROVAL[0], redirect_uri=DOC_REDIRECT, state="d"
    )
    denied = browser.answer(page, approve=False)
    assert denied.status_code == 303
    assert denied.headers["Location"] == (
        DOC_REDIRECT + "?error=access_denied&error_description=User%20denied%20access&state=d"
    )


def test_approval_without_csrf_token_is_refused(url):
    browser = Browser(url)
    browser.authorize(response_type="code", client_id=APPROVAL[0], redirect_uri=DOC_REDIRECT)
    forged = browser.http.post(
        url + "/api/oauth/authorize", data={"user_oauth_approval": "true"}, allow_redirects=False
    )
    assert forged.status_code == 400 and "Location" not in forged.headers


@pytest.mark.parametrize(
    ("params", "status", "text"),
    [
        (
            {"client_id": "noSuchClient", "redirect_uri": DOC_REDIRECT},
            401,
            "Bad client credentials",
        ),
        ({"redirect_uri": DOC_REDIRECT}, 401, "Bad client credentials"),
        (
            {"client_id": EXAMPLE[0], "redirect_uri": "https://evil.example/authcallback"},
            400,
            "Invalid redirect: https://evil.example/authcallback does not match",
        ),
        (
            {"client_id": EXAMPLE[0], "redirect_uri": "http://127.0.0.1:5000/other"},
            400,
            "does not match",
        ),
        ({"client_id": EXAMPLE[0]}, 400, "Invalid redirect: null does not match"),
        (
            {"client_id": SYSTEM[0], "redirect_uri": DOC_REDIRECT},
            400,
            "A redirect_uri can only be",
        ),
    ],
)
def test_client_and_redirect_errors_show_a_page_never_a_redirect(browser, params, status, text):
    browser.code()  # signed in: the request itself is checked
    response = browser.get("/api/oauth/authorize", response_type="code", state="s", **params)
    assert response.status_code == status
    assert "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")
    assert text in response.text
    error = "invalid_client" if status == 401 else "invalid_"
    assert f"error=&#34;{error}" in response.text  # Spring's summary, HTML-escaped


@pytest.mark.parametrize(
    "params",
    [
        {"client_id": "noSuchClient", "redirect_uri": DOC_REDIRECT},
        {"client_id": EXAMPLE[0], "redirect_uri": "https://evil.example/authcallback"},
        {"response_type": "nonsense"},
        {},
    ],
)
def test_a_visitor_not_signed_in_goes_to_sign_in_before_any_check(browser, params):
    """Spring Security's filters run before `AuthorizationEndpoint` looks at the request."""
    response = browser.get("/api/oauth/authorize", **params)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
    signed_in = browser.sign_in()
    assert signed_in.status_code == 302
    assert "/api/oauth/authorize" in signed_in.headers["Location"]


def test_unsupported_response_type_redirects_with_error(browser):
    response = browser.authorize(
        response_type="id_token", client_id=EXAMPLE[0], redirect_uri=DOC_REDIRECT, state="u"
    )
    assert response.status_code == 303
    params = query(response.headers["Location"])
    assert params["error"] == "unsupported_response_type" and params["state"] == "u"


def test_loopback_redirect_on_any_port_for_demo_clients(browser, url):
    redirect_uri = "http://localhost:54321/authcallback"
    code = browser.code(redirect_uri=redirect_uri)
    issued = token(url, grant_type="authorization_code", code=code, redirect_uri=redirect_uri)
    assert issued.status_code == 200


def test_invalid_scope_at_authorize_redirects_with_the_clients_scopes(browser):
    """`getUnsuccessfulRedirect`: error, description, state, then the additional information."""
    response = browser.authorize(
        response_type="code",
        client_id=EXAMPLE[0],
        redirect_uri=DOC_REDIRECT,
        scope="SCOPE_NOPE",
        state="s1",
    )
    location = response.headers["Location"]
    names = [pair.split("=", 1)[0] for pair in urlsplit(location).query.split("&")]
    assert names == ["error", "error_description", "state", "scope"]
    params = query(location)
    assert params["error"] == "invalid_scope"
    assert params["error_description"] == "Invalid scope: SCOPE_NOPE"
    example = next(c for c in json.loads(DEMO_DATA.read_text())["clients"])
    assert params["scope"].split(" ") == example["scope"]


@pytest.mark.parametrize("response_type", ["code token", "token code", "token id_token"])
def test_a_response_type_holding_token_is_answered_as_implicit(browser, response_type):
    """`AuthorizationEndpoint.authorize` checks `token` before `code` in the set."""
    response = browser.authorize(
        response_type=response_type, client_id=EXAMPLE[0], redirect_uri=DOC_REDIRECT
    )
    assert response.status_code == 303
    assert response.headers["Location"].startswith(DOC_REDIRECT + "#access_token=")


def test_code_with_another_response_type_is_answered_with_a_code(browser):
    response = browser.authorize(
        response_type="code id_token", client_id=EXAMPLE[0], redirect_uri=DOC_REDIRECT
    )
    assert response.headers["Location"].startswith(DOC_REDIRECT + "?code=")


# `UriComponents.encode()` leaves these raw in a query parameter; `=` and `&` it encodes.
RAW_IN_QUERY = "-._~!$'()*+,;:@/?"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(state=st.text(min_size=1, max_size=20).filter(lambda s: "\x00" not in s))
def test_state_is_echoed_as_spring_encodes_it(browser, state):
    """Each character raw when Spring's query encoding allows it, else UTF-8 %XX (so a `+`
    stays a raw `+`, which a form decoder would read as a space)."""
    response = browser.authorize(
        response_type="code", client_id=EXAMPLE[0], redirect_uri=DOC_REDIRECT, state=state
    )
    echoed = urlsplit(response.headers["Location"]).query.split("&state=", 1)[1]
    expected = "".join(
        ch
        if ch.isascii() and (ch.isalnum() or ch in RAW_IN_QUERY)
        else "".join(f"%{byte:02X}" for byte in ch.encode())
        for ch in state
    )
    assert echoed == expected


def test_the_state_plus_stays_raw(browser):
    response = browser.authorize(
        response_type="code", client_id=EXAMPLE[0], redirect_uri=DOC_REDIRECT, state="a+b c"
    )
    assert response.headers["Location"].endswith("&state=a+b%20c")


def test_redirects_carry_no_body(browser):
    to_sign_in = browser.get(
        "/api/oauth/authorize",
        response_type="code",
        client_id=EXAMPLE[0],
        redirect_uri=DOC_REDIRECT,
    )
    assert to_sign_in.status_code == 302 and to_sign_in.content == b""
    assert "Content-Type" not in to_sign_in.headers
    signed_in = browser.sign_in()
    assert signed_in.status_code == 302 and signed_in.content == b""
    to_client = browser.get(signed_in.headers["Location"])
    assert to_client.status_code == 303 and to_client.content == b""


def test_sign_out_ends_the_sign_in_session(browser):
    browser.code()
    home = browser.get("/")
    assert browser.user[0] in home.text
    signed_out = browser.http.post(
        browser.base + "/logout", data={"csrf_token": csrf_token(home.text)}, allow_redirects=False
    )
    assert signed_out.status_code == 303
    response = browser.get(
        "/api/oauth/authorize",
        response_type="code",
        client_id=EXAMPLE[0],
        redirect_uri=DOC_REDIRECT,
    )
    assert response.headers["Location"].endswith("/login")
