"""One person, two browsers, in both token-store modes of the platform: signing out in one, or
one refreshing, never breaks the other (app/cocoon/grants.py)."""

from __future__ import annotations

import logging
import time

import msgspec
import pytest

from app import create_app
from config import Settings
from tests.support.auth import AuthActions, portal_client
from tests.support.emulator import emulator_with, refresh_works, revocations, token_requests
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


def test_a_sign_in_bringing_a_rotated_refresh_token_joins_its_grant(
    redis_server, redis_client, tmp_path_factory
):
    """A platform with a token store that rotates refresh tokens: the grant keeps the name of
    its first token, a `grant-by-refresh` entry names it by the token it holds after each
    rotation, and a browser that the platform gives that token joins it. (Access tokens of
    VALIDITY seconds, and the wall clock: the emulator dates tokens by it.)"""
    client = ("rotatingPortal", "rotatingPortalSecret")
    workdir = tmp_path_factory.mktemp("shared-rotating")
    rotating = {"client_id": client[0], "secret": client[1], "reuse_refresh_token": False}
    args = ("--token-store", "shared", "--access-token-validity", str(VALIDITY))
    with emulator_with(workdir, *args, clients=(rotating,)) as service:
        environ = portal_environment(
            redis_server.url,
            service.url,
            COCOON_CLIENT_ID=client[0],
            COCOON_CLIENT_SECRET=client[1],
            COCOON_REDIRECT_URI="http://localhost:5000/authcallback",
        )
        app = create_app(Settings.from_env(environ), testing=True)
        first = portal_client(app)
        AuthActions(first).login()
        grant = grant_of(redis_client, first)
        issued = refresh_token(app, redis_client, grant)
        assert app.extensions["portal"].grants.name(issued) == grant
        assert refresh_entries(redis_client) == {}

        # The first browser refreshes: the platform rotates the refresh token.
        rotated = refresh_when_due(app, redis_client, first, grant)
        assert rotated != issued
        assert refresh_entries(redis_client) == {entry_of(app, rotated): grant}
        # A second browser: the platform gives it the rotated token; it joins the grant.
        second = portal_client(app)
        AuthActions(second).login()
        assert grant_of(redis_client, second) == grant

        # The second refreshes (rotating again): the entry follows, and the first browser
        # goes on with the new tokens, without a refresh of its own.
        again = refresh_when_due(app, redis_client, second, grant)
        assert again != rotated
        assert refresh_entries(redis_client) == {entry_of(app, again): grant}
        refreshes = token_requests(service.url, "refresh_token")
        assert first.get("/profile").status_code == 200
        assert token_requests(service.url, "refresh_token") == refreshes

        # Signing out of one keeps the token (the other holds the grant); the last one
        # revokes it and leaves no key of either session.
        revoked = revocations(service.url)
        first.post("/logout", data={"csrf_token": page_csrf_token(first, "/")})
        assert revocations(service.url) == revoked
        assert second.get("/profile").status_code == 200
        kept = refresh_token(app, redis_client, grant)
        second.post("/logout", data={"csrf_token": page_csrf_token(second, "/")})
        assert revocations(service.url) == revoked + 1
        assert not refresh_works(service.url, kept, client)
        left = [key for key in redis_client.scan_iter("portal:*")]
        assert [key for key in left if not key.startswith(b"portal:ratelimit")] == []


VALIDITY = 3  # seconds an access token lives; the refresh leeway is then 0.3 s


def refresh_entries(redis_client) -> dict[str, str]:
    """Every `grant-by-refresh` entry: its key, and the grant id it names."""
    return {
        key.decode(): redis_client.get(key).decode()
        for key in redis_client.scan_iter("portal:grant-by-refresh:*")
    }


def entry_of(app, token: str) -> str:
    return app.extensions["portal"].grants.refresh_key(token)


def refresh_when_due(app, redis_client, client, grant: str) -> str:
    """Wait until the grant's access token is due for a refresh and let `client` open a page
    (which refreshes it); the grant's refresh token after that."""
    tokens = app.extensions["portal"].sealer.open(redis_client.get(f"portal:grant:{grant}"))
    time.sleep(max(0.0, tokens.expires_at - 0.2 - time.time()))
    assert client.get("/profile").status_code == 200
    return refresh_token(app, redis_client, grant)
