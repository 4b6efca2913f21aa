"""HEAD changes nothing on any route (a link checker or a mail scanner must not spend a code,
start a sign-in or refresh a token), and an unhandled error is logged once."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest

from app.web.health import READY_KEY
from tests.support.emulator import token_requests
from tests.support.pages import session_id

TWELVE_HOURS = 43_200


@pytest.fixture(autouse=True)
def long_sessions(environ):
    environ["SESSION_ABSOLUTE_TIMEOUT"] = str(4 * TWELVE_HOURS)


READY = READY_KEY.encode()


def redis_state(redis_client) -> dict:
    """Every key and its value (TTLs aside), but /readyz's own short-lived key: HEAD /readyz
    runs the probe, which checks that Redis takes a write (app/web/health.py)."""
    keys = (key for key in sorted(redis_client.scan_iter()) if not key.startswith(READY))
    return {key: redis_client.dump(key) for key in keys}


def every_get_route(app) -> list[str]:
    rules = [rule for rule in app.url_map.iter_rules() if "GET" in rule.methods]
    paths = [rule.rule for rule in rules if "<" not in rule.rule]
    assert {"/", "/login", "/authcallback", "/profile", "/signed-out"} <= set(paths)
    return paths


def test_head_changes_nothing_on_any_route(app, client, auth, clock, redis_client, access_service):
    # A pending sign-in whose callback a scanner might HEAD, and a signed-in session whose
    # token is due for renewal: the two things a GET would act on.
    login = auth.start()
    state = parse_qs(urlsplit(login.headers["Location"]).query)["state"][0]
    callback_url = auth.callback_url()  # a second, complete sign-in's callback
    auth.login()
    clock.advance(TWELVE_HOURS - 30)
    before = redis_state(redis_client)
    counts = {
        grant: token_requests(access_service.url, grant)
        for grant in ("authorization_code", "refresh_token")
    }
    cookie = session_id(client)
    queries = {"/authcallback": urlsplit(callback_url).query or f"code=abc123&state={state}"}
    for path in every_get_route(app):
        response = client.head(path, query_string=queries.get(path, ""))
        assert response.status_code < 500, path
        assert response.get_data() == b"", path
        assert "Set-Cookie" not in response.headers, path
    assert redis_state(redis_client) == before
    assert session_id(client) == cookie
    for grant, count in counts.items():
        assert token_requests(access_service.url, grant) == count, grant
    # The same GETs do act: the proof that HEAD was tested where it matters.
    assert client.get("/profile").status_code == 200
    assert token_requests(access_service.url, "refresh_token") == counts["refresh_token"] + 1


def test_an_unhandled_error_is_logged_once(app, client, caplog):
    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    caplog.set_level(logging.ERROR)
    response = client.get("/boom")
    assert response.status_code == 500
    assert "Traceback" not in response.get_data(as_text=True)
    tracebacks = [record for record in caplog.records if record.exc_info]
    assert len(tracebacks) == 1
    assert "boom" in str(tracebacks[0].exc_info[1])
