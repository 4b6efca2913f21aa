"""One person, two browsers, in both token-store modes of the platform: signing out in one, or
one refreshing, never breaks the other (app/cocoon/grants.py)."""

from __future__ import annotations

import logging

import msgspec
import pytest

from app import create_app
from config import Settings
from tests.support.auth import AuthActions, portal_client
from tests.support.emulator import refresh_works, revocations, token_requests
from tests.support.environment import portal_environment
from tests.support.pages import page_csrf_token, session_id

CLIENT = ("exampleClientApplication", "exampleClientApplicationSecret")
TWELVE_HOURS = 43_200


@pytest.fixture(params=["per-grant", "shared"])
def emulator(request):
    """The emulator in each token-store mode."""
    name = "access_service" if request.param == "per-grant" else "shared_access_service"
    return request.param, request.getfixturevalue(name)


def grant_of(redis_client, client) -> str:
    data = msgspec.msgpack.decode(redis_client.get(f"portal:session:{session_id(client)}"))
    return data["grant"]


def refresh_token(app, redis_client, grant_id: str) -> str:
    sealed = redis_client.get(f"portal:grant:{grant_id}")
    return app.extensions["portal"].sealer.open(sealed).refresh_token


def test_two_browsers_of_one_person(emulator, redis_server, redis_client, clock, caplog):
    mode, service = emulator
    environ = portal_environment(
        redis_server.url,
        service.url,
        COCOON_REDIRECT_URI="http://localhost:5000/authcallback",
        SESSION_ABSOLUTE_TIMEOUT=str(4 * TWELVE_HOURS),
    )
    app = create_app(Settings.from_env(environ), clock=clock, testing=True)
    logging.getLogger().addHandler(caplog.handler)  # create_app set the root's handlers
    first, second = portal_client(app), portal_client(app)
    AuthActions(first).login()
    AuthActions(second).login()
    grants = grant_of(redis_client, first), grant_of(redis_client, second)
    # The shared store gave both browsers the same tokens: they hold one grant.
    assert (grants[0] == grants[1]) is (mode == "shared")

    # The first browser refreshes; the second goes on without a refused call.
    refreshes = token_requests(service.url, "refresh_token")
    clock.advance(TWELVE_HOURS - 30)
    caplog.set_level(logging.INFO, logger="app.cocoon.api")
    assert first.get("/account").status_code == 200
    assert token_requests(service.url, "refresh_token") == refreshes + 1
    assert second.get("/account").status_code == 200
    statuses = [
        record.status
        for record in caplog.records
        if getattr(record, "event", None) == "platform_call"
    ]
    assert statuses == [200, 200]
    # One refresh for one grant: the second browser took the first one's (shared), or made
    # its own (per grant).
    assert token_requests(service.url, "refresh_token") == refreshes + len(set(grants))

    # The first signs out: the second stays signed in, its refresh token still works.
    revoked = revocations(service.url)
    first.post("/logout", data={"csrf_token": page_csrf_token(first, "/")})
    assert first.get("/account").status_code == 302
    assert revocations(service.url) == revoked + (1 if mode == "per-grant" else 0)
    assert second.get("/account").status_code == 200
    kept = refresh_token(app, redis_client, grants[1])
    assert refresh_works(service.url, kept, CLIENT)
    # (That refresh, made behind the portal's back, ended the access token the second browser
    # holds in the shared store: its next call is refused once, renewed, and retried.)
    assert second.get("/account").status_code == 200

    # The last browser signs out: now its refresh token is revoked.
    second.post("/logout", data={"csrf_token": page_csrf_token(second, "/")})
    assert not refresh_works(service.url, kept, CLIENT)
    assert not list(redis_client.scan_iter("portal:grant*"))
