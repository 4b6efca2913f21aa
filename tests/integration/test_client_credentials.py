"""Client credentials: sent as UTF-8 (RFC 7617), and a refused client is the operator's
problem, never shown to users as theirs nor reported as an outage."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from app import create_app
from config import Settings
from tests.support.auth import REDIRECT_URI, AuthActions, portal_client
from tests.support.emulator import emulator_with, token_requests
from tests.support.processes import AccessService

# Secrets people really issue: a euro sign (not in latin-1), accents (latin-1 bytes differ
# from UTF-8), a colon (Basic splits user and password at the first one), CJK.
UNUSUAL_SECRETS = ["price€Secret", "café-sécret", "pass:with:colons", "秘密の鍵-2026"]


@pytest.fixture(scope="module")
def unusual_access_service(tmp_path_factory) -> Iterator[AccessService]:
    """An emulator with one client per unusual secret, registered for the portal's URIs."""
    clients = tuple(
        {
            "client_id": f"unusualSecretClient{number}",
            "secret": secret,
            "registered_redirect_uris": [REDIRECT_URI],
        }
        for number, secret in enumerate(UNUSUAL_SECRETS)
    )
    with emulator_with(tmp_path_factory.mktemp("unusual-secrets"), clients=clients) as service:
        yield service


@pytest.fixture(autouse=True)
def long_sessions(environ):
    """Sessions outliving the 12 h token, so moving the clock past it leaves them signed in."""
    environ["SESSION_ABSOLUTE_TIMEOUT"] = str(4 * 43_200)


def portal_for(environ, clock, access_service, client_id, secret):
    environ.update(
        COCOON_ACCESS_SERVICE_URL=access_service.url,
        COCOON_TOKEN_KEY_URL=access_service.url + "/api/oauth/token_key",
        COCOON_REVOCATION_URL=access_service.url + "/api/oauth/revoke",
        COCOON_CLIENT_ID=client_id,
        COCOON_CLIENT_SECRET=secret,
    )
    return create_app(Settings.from_env(environ), clock=clock, testing=True)


@pytest.mark.parametrize("number", range(len(UNUSUAL_SECRETS)))
def test_a_secret_with_non_ascii_characters_signs_in(
    environ, clock, redis_client, unusual_access_service, number
):
    app = portal_for(
        environ,
        clock,
        unusual_access_service,
        f"unusualSecretClient{number}",
        UNUSUAL_SECRETS[number],
    )
    client = portal_client(app)
    response = AuthActions(client).login()
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/profile"
    assert client.get("/profile").status_code == 200


@pytest.fixture()
def wrong_secret_app(environ, clock, redis_client, access_service):
    """A portal configured with a client secret the access-service does not know (built in a
    fixture: the app's logging set-up replaces the root handlers, caplog's among them)."""
    return portal_for(environ, clock, access_service, "exampleClientApplication", "not-the-secret")


def test_a_wrong_client_secret_is_the_operators_problem(
    wrong_secret_app, redis_client, access_service, caplog
):
    client = portal_client(wrong_secret_app)
    before = token_requests(access_service.url, "authorization_code")
    response = AuthActions(client).login()
    assert response.status_code == 502
    html = response.get_data(as_text=True)
    assert "cannot reach its sign-in service with its current settings" in html
    assert "sign in again" not in html.lower()
    assert token_requests(access_service.url, "authorization_code") == before + 1
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == [
        "access-service call failed (client_refused): http_401: the client's credentials were "
        "refused (check COCOON_CLIENT_ID and COCOON_CLIENT_SECRET)"
    ]
    assert "not-the-secret" not in caplog.text
    assert client.get("/profile").status_code == 302  # no session was made


def test_a_client_refused_at_refresh_keeps_the_session_while_the_token_is_valid(
    app, client, auth, clock, access_service, caplog
):
    auth.login()
    # The operator rotates the secret at the platform but not here (or the other way round).
    app.extensions["portal"].client.client_secret = "rotated-away"
    clock.advance(43_200 - 30)  # inside the refresh leeway, before expiry
    caplog.set_level(logging.WARNING)
    page = client.get("/profile")
    assert page.status_code == 200  # still signed in, on the still-valid token
    assert any(r.levelno == logging.ERROR for r in caplog.records)
    clock.advance(60)  # now expired: a clear 502, and the session is kept for when it is fixed
    page = client.get("/profile")
    assert page.status_code == 502
    assert "current settings" in page.get_data(as_text=True)
    app.extensions["portal"].client.client_secret = "exampleClientApplicationSecret"
    clock.advance(-60)
    assert client.get("/profile").status_code == 200


@pytest.fixture(scope="module")
def closed_token_key_service(tmp_path_factory) -> Iterator[AccessService]:
    """An emulator whose token_key admits authenticated clients only."""
    workdir = tmp_path_factory.mktemp("closed-token-key")
    with emulator_with(workdir, "--token-key-auth", "basic") as service:
        yield service


@pytest.mark.parametrize(("auth", "status"), [("basic", 302), ("none", 502)])
def test_a_token_key_for_clients_only_needs_token_key_auth_basic(
    environ, clock, redis_client, closed_token_key_service, auth, status
):
    environ["COCOON_TOKEN_KEY_AUTH"] = auth
    app = portal_for(
        environ,
        clock,
        closed_token_key_service,
        "exampleClientApplication",
        "exampleClientApplicationSecret",
    )
    response = AuthActions(portal_client(app)).login()
    assert response.status_code == status
    if status == 502:
        assert "current settings" in response.get_data(as_text=True)
