"""`GET /logout`: the sign-in session ends; the browser goes back only to a registered URI."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.access_service.helpers import EXAMPLE, SYSTEM, csrf_token
from tests.access_service.inprocess import Emulator

SIGNED_OUT = "https://my-application-url/signed-out"
LOOPBACK = "http://127.0.0.1:5000/signed-out"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory) -> Emulator:
    return Emulator(tmp_path_factory.mktemp("logout"))


def signed_in(emulator: Emulator):
    """A browser signed in at the emulator."""
    browser = emulator.browser()
    assert emulator.sign_in(browser).status_code == 302
    assert "You are signed in as" in browser.get("/").get_data(as_text=True)
    return browser


def assert_signed_out(browser) -> None:
    """The next authorize asks for the password again."""
    response = browser.get("/api/oauth/authorize", query_string={"client_id": EXAMPLE[0]})
    assert response.status_code == 302 and response.location.endswith("/login")


def assert_error_page(response, text: str) -> None:
    """An HTML error page, never a redirect, never cached."""
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert response.content_type.startswith("text/html")
    assert text in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_registered_uri_gets_the_browser_back_with_state(emulator):
    browser = signed_in(emulator)
    params = {"client_id": EXAMPLE[0], "post_logout_redirect_uri": SIGNED_OUT, "state": "a b&c"}
    response = browser.get("/logout", query_string=params)
    assert response.status_code == 303
    assert response.location == SIGNED_OUT + "?state=a%20b%26c"
    assert response.headers["Cache-Control"] == "no-store"
    assert_signed_out(browser)


def test_without_state_none_is_added(emulator):
    browser = signed_in(emulator)
    params = {"client_id": EXAMPLE[0], "post_logout_redirect_uri": SIGNED_OUT}
    assert browser.get("/logout", query_string=params).location == SIGNED_OUT


def test_loopback_uri_on_any_port_for_clients_with_the_loopback_rule(emulator):
    uri = "http://127.0.0.1:54321/signed-out"
    params = {"client_id": EXAMPLE[0], "post_logout_redirect_uri": uri, "state": "s"}
    assert emulator.browser().get("/logout", query_string=params).location == uri + "?state=s"


def test_no_uri_shows_the_emulators_signed_out_page(emulator):
    browser = signed_in(emulator)
    for params in ({}, {"client_id": EXAMPLE[0]}, {"client_id": EXAMPLE[0], "state": "s"}):
        response = browser.get("/logout", query_string=params)
        assert response.status_code == 200
        assert "You are signed out" in response.get_data(as_text=True)
        assert "Location" not in response.headers
    assert_signed_out(browser)


@pytest.mark.parametrize(
    ("params", "text"),
    [
        ({"client_id": "noSuchClient", "post_logout_redirect_uri": SIGNED_OUT}, "No client"),
        ({"client_id": "noSuchClient"}, "No client with requested id: noSuchClient"),
        ({"post_logout_redirect_uri": SIGNED_OUT, "state": "s"}, "client_id must be given"),
        ({"client_id": SYSTEM[0], "post_logout_redirect_uri": SIGNED_OUT}, "is not registered"),
        ({"client_id": EXAMPLE[0], "post_logout_redirect_uri": ""}, "is not registered"),
    ],
)
def test_unknown_client_or_uri_gets_an_error_page_and_still_signs_out(emulator, params, text):
    browser = signed_in(emulator)
    assert_error_page(browser.get("/logout", query_string=params), text)
    assert_signed_out(browser)


@pytest.mark.parametrize(
    "uri",
    [
        "https://my-application-url/signed-out/",  # trailing slash
        "https://my-application-url/signed-out?next=https://evil.example",  # query
        "https://my-application-url/signed-out#x",  # fragment
        "https://my-application-url/Signed-Out",  # path case
        "https://MY-APPLICATION-URL/signed-out",  # host case
        "HTTPS://my-application-url/signed-out",  # scheme case
        "https://my-application-url/signed-out/../evil",  # path traversal
        "https://my-application-url/other",  # another path
        "https://my-application-url:444/signed-out",  # another port (not loopback)
        "http://my-application-url/signed-out",  # another scheme
        "https://evil.example/signed-out",
        "https://my-application-url.evil.example/signed-out",
        "https://my-application-url@evil.example/signed-out",  # userinfo trick
        "//evil.example/signed-out",  # scheme-relative
        "https://my-application-url/authcallback",  # a redirect URI, not a post-logout one
        "http://127.0.0.1:5000/signed-out/",  # loopback rule: still exact but for the port
        "http://127.0.0.1.evil.example:5000/signed-out",
        "https://127.0.0.1:5000/signed-out",
        " https://my-application-url/signed-out",
        "http://127.0.0.1:5000/signed-\nout",  # urlsplit would drop the newline (found by
        "http://127.0.0.1:5001/signed-out\t",  # the property test below)
        "http://127.0.0.1:5001/signed\r-out",
    ],
)
def test_open_redirect_attempts_are_refused(emulator, uri):
    params = {"client_id": EXAMPLE[0], "post_logout_redirect_uri": uri, "state": "s"}
    assert_error_page(emulator.browser().get("/logout", query_string=params), "is not registered")


REGISTERED = {
    "http://127.0.0.1:5000/signed-out",
    "http://localhost:5000/signed-out",
    "https://my-application-url/signed-out",
    "https://localhost/signed-out",
}


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    uri=st.one_of(
        st.text(max_size=60),
        st.sampled_from(sorted(REGISTERED)).flatmap(
            lambda base: st.tuples(st.just(base), st.text(min_size=1, max_size=8)).map(
                lambda pair: pair[0] + pair[1]
            )
        ),
    )
)
def test_no_unregistered_uri_is_ever_redirected_to(emulator, uri):
    # Allowed: the registered URIs, and their loopback forms on another port.
    assume(uri not in REGISTERED)
    assume(not re.fullmatch(r"http://(127\.0\.0\.1|localhost):[0-9]+/signed-out", uri))
    params = {"client_id": EXAMPLE[0], "post_logout_redirect_uri": uri, "state": "s"}
    response = emulator.browser().get("/logout", query_string=params)
    assert response.status_code == 400 and "Location" not in response.headers


def test_post_logout_button_of_the_emulators_own_page_still_works(emulator):
    browser = signed_in(emulator)
    page = browser.get("/").get_data(as_text=True)
    response = browser.post("/logout", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    assert_signed_out(browser)
