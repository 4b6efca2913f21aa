"""What the platform's servlet stack adds around Spring Security OAuth2, as the real server does
it (tests/fidelity/test_differential.py compares them): parameters read as UTF-8 whatever the
request declares, the token endpoint's own Content-Type, the authorize endpoint's no-store."""

from __future__ import annotations

from urllib.parse import quote_from_bytes

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.access_service.helpers import ALEX, APPROVAL, DOC_REDIRECT, EXAMPLE, token

FORM = "application/x-www-form-urlencoded"


def refresh_error(url: str, body: bytes, content_type: str = FORM) -> str:
    response = requests.post(
        url + "/api/oauth/token",
        data=body,
        headers={"Content-Type": content_type},
        auth=EXAMPLE,
        timeout=10,
    )
    assert response.status_code == 400, response.text
    return response.json()["error_description"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(min_size=1, max_size=12).filter(lambda raw: raw.strip(b" ") != b""))
def test_a_parameter_is_its_bytes_read_as_utf8_with_replacement(url, raw):
    # Tomcat behind Spring Boot's forced UTF-8: bytes that are not UTF-8 become U+FFFD.
    body = b"grant_type=refresh_token&refresh_token=" + quote_from_bytes(raw).encode()
    expected = raw.decode("utf-8", errors="replace")
    assert refresh_error(url, body) == f"Invalid refresh token: {expected}"


def test_a_declared_charset_is_not_what_the_form_is_read_with(url):
    latin1 = b"grant_type=refresh_token&refresh_token=caf%E9"
    assert refresh_error(url, latin1, FORM + "; charset=ISO-8859-1") == (
        "Invalid refresh token: caf\ufffd"
    )
    utf8 = b"grant_type=refresh_token&refresh_token=caf%C3%A9"
    assert (
        refresh_error(url, utf8, FORM + "; charset=ISO-8859-1")
        == "Invalid refresh token: caf\u00e9"
    )


def test_the_first_of_two_values_counts(url):
    body = b"grant_type=refresh_token&refresh_token=first&refresh_token=second"
    assert refresh_error(url, body) == "Invalid refresh token: first"


def test_a_token_response_has_the_token_endpoints_own_content_type(url):
    response = token(url, grant_type="password", username=ALEX[0], password=ALEX[1])
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"
    error = token(url, grant_type="password", username=ALEX[0], password="wrong")
    assert error.headers["Content-Type"] == "application/json"


def test_what_the_authorize_endpoint_returns_is_no_store(browser):
    code = browser.authorize(response_type="code", client_id=EXAMPLE[0], redirect_uri=DOC_REDIRECT)
    assert code.status_code == 303
    assert code.headers["Cache-Control"] == "no-store"
    assert "Pragma" not in code.headers
    page = browser.authorize(response_type="code", client_id=APPROVAL[0], redirect_uri=DOC_REDIRECT)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    denied = browser.answer(page, approve=False)
    assert denied.status_code == 303
    assert denied.headers["Cache-Control"] == "no-store"
    implicit = browser.authorize(
        response_type="token", client_id=EXAMPLE[0], redirect_uri=DOC_REDIRECT
    )
    assert implicit.status_code == 303
    assert (implicit.headers["Cache-Control"], implicit.headers["Pragma"]) == (
        "no-store",
        "no-cache",
    )


def test_an_error_it_raises_keeps_spring_securitys_headers(browser):
    error = browser.authorize(
        response_type="code", client_id=EXAMPLE[0], redirect_uri=DOC_REDIRECT, scope="SCOPE_NOPE"
    )
    assert error.status_code == 303
    assert error.headers["Cache-Control"] == "no-cache, no-store, max-age=0, must-revalidate"
