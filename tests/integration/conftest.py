"""Integration fixtures: the portal app in-process (Flask test client) with a real Redis and the
real emulated access-service over HTTP."""

from __future__ import annotations

import pytest

from app import create_app
from config import Settings
from tests.support.auth import REDIRECT_URI, AuthActions, portal_client
from tests.support.clock import Clock
from tests.support.environment import portal_environment


@pytest.fixture()
def environ(redis_server, access_service) -> dict[str, str]:
    """The portal's environment for these tests; a test may change it before `app` is built."""
    environ = portal_environment(redis_server.url, access_service.url)
    environ["COCOON_REDIRECT_URI"] = REDIRECT_URI
    return environ


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def app(environ, redis_client, clock):
    return create_app(Settings.from_env(environ), clock=clock, testing=True)


@pytest.fixture()
def client(app):
    return portal_client(app)


@pytest.fixture()
def auth(client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture()
def signed_in_once(auth, client):
    """A client signed in once for the whole test (every hypothesis example of it)."""
    auth.login()
    return client
