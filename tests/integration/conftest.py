"""Integration fixtures: the portal app in-process (Flask test client) with a real Redis and the
real emulated access-service over HTTP."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from app import create_app
from config import Settings
from tests.support.agent import SignInAgent

# The test client's requests arrive for this origin, the redirect URI's (see `client`).
PORTAL_HOST = "localhost:5000"
REDIRECT_URI = f"http://{PORTAL_HOST}/authcallback"


@pytest.fixture()
def environ(redis_server, access_service) -> dict[str, str]:
    """The portal's environment for these tests; a test may change it before `app` is built."""
    return {
        "PORTAL_ENV": "development",
        "SECRET_KEY": "integration-test-secret-key-0123456789",
        "REDIS_URL": redis_server.url,
        "COCOON_ACCESS_SERVICE_URL": access_service.url,
        "COCOON_CLIENT_ID": "exampleClientApplication",
        "COCOON_CLIENT_SECRET": "exampleClientApplicationSecret",
        "COCOON_REDIRECT_URI": REDIRECT_URI,
        "COCOON_REVOCATION_URL": access_service.url + "/api/oauth/revoke",
        "COCOON_TOKEN_KEY_URL": access_service.url + "/api/oauth/token_key",
        "COCOON_LOGOUT_URL": access_service.url + "/logout",
    }


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, offset: float = 0.0):
        import time

        self._time = time.time
        self.offset = offset

    def __call__(self) -> float:
        return self._time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def app(environ, redis_client, clock):
    return create_app(Settings.from_env(environ), clock=clock, testing=True)


def portal_client(app):
    """A test client whose requests arrive on the redirect URI's origin, as a browser's do."""
    app.config["SERVER_NAME"] = PORTAL_HOST  # Flask's test client sends requests there
    return app.test_client()


@pytest.fixture()
def client(app):
    return portal_client(app)


class AuthActions:
    """Sign in through the real access-service, as flaskr's tests do with their AuthActions."""

    def __init__(self, client):
        self.client = client

    def start(self, next_path: str | None = None):
        """GET /login; returns the response (a redirect to the access-service)."""
        query = {"next": next_path} if next_path else None
        return self.client.get("/login", query_string=query)

    def callback_url(self, next_path: str | None = None, **agent_options) -> str:
        """Go through the access-service's pages; return the callback URL it redirects to."""
        response = self.start(next_path)
        assert response.status_code == 302, response.status_code
        return SignInAgent(**agent_options).authorize(response.headers["Location"])

    def login(self, next_path: str | None = None, **agent_options):
        """The whole dance; returns the portal's answer to the callback."""
        url = self.callback_url(next_path, **agent_options)
        parts = urlsplit(url)
        return self.client.get(parts.path, query_string=parts.query)


@pytest.fixture()
def auth(client) -> AuthActions:
    return AuthActions(client)
