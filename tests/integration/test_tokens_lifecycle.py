"""Refresh, refusal, outage and sign-out, with a clock the test moves and the real emulator."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support.emulator import revocations, token_requests
from tests.support.pages import csrf_token, session_id

# Against both of the emulator's token response shapes (tests/conftest.py).
pytestmark = pytest.mark.both_token_responses

TWELVE_HOURS = 43_200


@pytest.fixture(autouse=True)
def long_sessions(environ):
    """Sessions outliving the 12 h token, so moving the clock past it leaves them signed in."""
    environ["SESSION_ABSOLUTE_TIMEOUT"] = str(4 * TWELVE_HOURS)


SHAPES = {
    "spring": ["access_token", "token_type", "refresh_token", "expires_in", "scope", "jti"],
    "document": ["access_token", "token_type", "refresh_token", "jti"],
}


def test_the_emulator_answers_in_the_shape_under_test(access_service, token_response):
    """The parametrization is real: each run's emulator writes its own token response."""
    response = requests.post(
        access_service.url + "/api/oauth/token",
        auth=("exampleClientApplication", "exampleClientApplicationSecret"),
        data={
            "grant_type": "password",
            "username": "alex.originator@xy-company.com",
            "password": "password1",
        },
        timeout=10,
    )
    assert list(response.json()) == SHAPES[token_response]


def stored_tokens(app, client):
    from app.sessions.tokens import stored_tokens

    with app.test_request_context(headers={"Cookie": f"portal_session={session_id(client)}"}):
        app.session_interface  # noqa: B018
        from flask import session

        app.preprocess_request()
        assert session
        return stored_tokens()


def test_token_about_to_expire_is_refreshed_once(auth, client, app, clock, access_service):
    auth.login()
    before = token_requests(access_service.url, "refresh_token")
    # 30 s before the 12 h token expires: inside the 60 s leeway. (Moving further would also
    # make the emulator's fresh tokens look expired to this clock; tests/e2e cover real expiry
    # with a 5-second token.)
    clock.advance(TWELVE_HOURS - 30)
    assert client.get("/profile").status_code == 200
    assert token_requests(access_service.url, "refresh_token") == before + 1
    # The new token is stored: the next page needs no refresh.
    assert client.get("/profile").status_code == 200
    assert token_requests(access_service.url, "refresh_token") == before + 1


CONTENDERS = 6  # requests of one session at once, each on a thread of its own


def test_concurrent_requests_on_a_token_about_to_expire_refresh_it_once(
    auth, client, app, clock, access_service
):
    """The refresh lock, contended for real: every request read the old tokens before any
    refresh (as requests that arrived together did), so each finds a refresh due and queues on
    the grant's Redis lock; only the first may call the token endpoint, the others must find
    the refreshed tokens under the lock. The emulator counts the calls."""
    from app.sessions.tokens import adopt, fresh_tokens

    auth.login()
    stale = stored_tokens(app, client)
    clock.advance(TWELVE_HOURS - 30)  # inside the leeway, as above
    before = token_requests(access_service.url, "refresh_token")
    together = threading.Barrier(CONTENDERS)
    cookie = {"Cookie": f"portal_session={session_id(client)}"}

    def request_of_the_session():
        with app.test_request_context("/profile", headers=cookie):
            app.preprocess_request()
            adopt(stale)
            together.wait(timeout=60)
            return fresh_tokens()

    with ThreadPoolExecutor(CONTENDERS) as pool:
        answers = [pool.submit(request_of_the_session) for _ in range(CONTENDERS)]
        results = [answer.result(timeout=120) for answer in answers]

    assert token_requests(access_service.url, "refresh_token") == before + 1
    assert {tokens.access_token for tokens in results} == {results[0].access_token}
    assert results[0].access_token != stale.access_token
    assert stored_tokens(app, client) == results[0]


def test_no_refresh_before_the_leeway(auth, client, clock, access_service):
    auth.login()
    before = token_requests(access_service.url, "refresh_token")
    clock.advance(TWELVE_HOURS - 120)
    assert client.get("/profile").status_code == 200
    assert token_requests(access_service.url, "refresh_token") == before


def test_refused_refresh_signs_out_and_sends_to_sign_in(auth, client, app, clock, redis_client):
    auth.login()
    tokens = stored_tokens(app, client)
    # Revoke the refresh token behind the portal's back, as an administrator would.
    response = requests.post(
        app.extensions["portal"].settings.revocation_url,
        data={"token": tokens.refresh_token, "token_type_hint": "refresh_token"},
        auth=("exampleClientApplication", "exampleClientApplicationSecret"),
        timeout=5,
    )
    assert response.status_code == 200
    clock.advance(TWELVE_HOURS)
    old_sid = session_id(client)
    response = client.get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fprofile"
    assert redis_client.exists(f"portal:session:{old_sid}") == 0


def test_refresh_without_the_server_keeps_the_session_and_answers_503(
    auth, client, app, clock, redis_client
):
    auth.login()
    app.extensions["portal"].client.token_endpoint = "http://127.0.0.1:9/api/oauth/token"
    clock.advance(TWELVE_HOURS)
    response = client.get("/profile")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "cannot be reached" in response.get_data(as_text=True)
    assert redis_client.exists(f"portal:session:{session_id(client)}") == 1


def test_refresh_failure_inside_the_leeway_serves_the_still_valid_token(auth, client, app, clock):
    auth.login()
    app.extensions["portal"].client.token_endpoint = "http://127.0.0.1:9/api/oauth/token"
    clock.advance(TWELVE_HOURS - 30)  # within the 60 s leeway, not yet expired
    assert client.get("/profile").status_code == 200


def test_logout_needs_the_csrf_token(auth, client, redis_client):
    auth.login()
    response = client.post("/logout")
    assert response.status_code == 400
    assert client.get("/profile").status_code == 200  # still signed in


def test_logout_deletes_the_session_and_revokes_the_refresh_token(
    auth, client, app, redis_client, access_service
):
    auth.login()
    tokens = stored_tokens(app, client)
    old_sid = session_id(client)
    before = revocations(access_service.url)
    response = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303
    assert response.headers["Location"].startswith(access_service.url + "/logout?")
    assert redis_client.exists(f"portal:session:{old_sid}") == 0
    assert revocations(access_service.url) == before + 1
    refused = requests.post(
        access_service.url + "/api/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens.refresh_token},
        auth=("exampleClientApplication", "exampleClientApplicationSecret"),
        timeout=5,
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    # The old cookie is worthless now.
    client.set_cookie("portal_session", old_sid)
    assert client.get("/profile").status_code == 302


def test_failed_revocation_still_signs_out(auth, client, app, redis_client):
    auth.login()
    app.extensions["portal"].client.revocation_endpoint = "http://127.0.0.1:9/revoke"
    old_sid = session_id(client)
    response = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303
    assert redis_client.exists(f"portal:session:{old_sid}") == 0
