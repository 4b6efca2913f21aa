"""The authorization code flow end to end in-process: portal app, real Redis, real emulator."""

import base64
from urllib.parse import parse_qs, urlsplit

import msgspec
import pytest

from tests.support.auth import DESKTOP_USER_AGENT, REDIRECT_URI
from tests.support.emulator import token_requests
from tests.support.tokens import seal_like_an_earlier_build

# Against both of the emulator's token response shapes (tests/conftest.py).
pytestmark = pytest.mark.both_token_responses

COOKIE = "portal_session"


def session_keys(redis_client) -> list[bytes]:
    return list(redis_client.scan_iter("portal:session:*"))


def test_login_redirects_to_authorize_with_state_and_pkce(auth, access_service):
    response = auth.start()
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}" == access_service.url
    assert location.path == "/api/oauth/authorize"
    query = parse_qs(location.query)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == ["exampleClientApplication"]
    assert query["redirect_uri"] == [REDIRECT_URI]
    assert len(query["state"][0]) >= 20
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert "scope" not in query  # COCOON_SCOPE empty: no scope parameter, as the document


def test_sign_in_lands_on_profile_and_rotates_the_session_id(auth, client, redis_client):
    # A session id planted before sign-in (session fixation) is never the signed-in one; /login
    # itself writes no session (app/auth/pending.py).
    before = "fixedByAnAttacker00000"
    client.set_cookie(COOKIE, before, domain="localhost")
    assert auth.start().status_code == 302
    assert client.get_cookie(COOKIE).value == before
    response = auth.login()
    assert response.status_code == 302
    assert response.headers["Location"] == "/profile"
    after = client.get_cookie(COOKIE).value
    assert after != before
    assert redis_client.exists(f"portal:session:{before}") == 0
    assert redis_client.exists(f"portal:session:{after}") == 1

    page = client.get("/profile")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "alex.originator@xy-company.com" in html
    assert "ROLE_ORIGINATOR" in html and "PERM_FILE_DELETE" in html
    assert "SCOPE_VIEW" in html
    assert "eyJhbGciOiJSUzI1NiJ9" not in html  # the token never reaches a page
    assert page.headers["Cache-Control"] == "no-store"


def test_tokens_are_sealed_in_redis_and_the_session_stays_small(auth, client, app, redis_client):
    client.environ_base["HTTP_USER_AGENT"] = DESKTOP_USER_AGENT
    auth.login()
    assert client.get("/profile").status_code == 200  # which keeps the person's greeting
    [key] = session_keys(redis_client)
    stored = redis_client.get(key)
    data = msgspec.msgpack.decode(stored)
    # The session names its grant, where the tokens are sealed (app/cocoon/grants.py).
    sealed = redis_client.get(f"portal:grant:{data['grant']}")
    tokens = app.extensions["portal"].sealer.open(sealed)
    for value in (stored, sealed):
        assert b"eyJ" not in value  # no JWT segment in the clear
        assert tokens.refresh_token.encode() not in value
    # Nothing that repeats the tokens but the user's name (for the index of their sessions),
    # and of the browser only its name in words.
    assert set(data) == {
        "grant",
        "user",
        "_started_at",
        "seen_at",
        "device",
        "csrf_token",
        "person",
    }
    assert data["user"] == "alex.originator@xy-company.com" and b"PERM_VIEW" not in stored
    assert data["device"] == "Chrome on Windows" and b"Mozilla" not in stored
    # In Redis memory, the grant (the sealed tokens) holds under 0.4 of the tokens' own bytes,
    # the session under an eighth, and everything the sign-in keeps (the user's index of
    # sessions too) under 0.6: `make bench` reports each.
    token_bytes = len(tokens.access_token) + len(tokens.refresh_token)
    assert redis_client.memory_usage(f"portal:grant:{data['grant']}") <= 0.4 * token_bytes
    assert redis_client.memory_usage(key) <= token_bytes / 8
    kept = [k for k in redis_client.scan_iter("portal:*") if not k.startswith(b"portal:ratelimit")]
    assert len(kept) == 3  # the session, its grant, the user's index
    assert sum(redis_client.memory_usage(k) for k in kept) <= 0.6 * token_bytes


def test_next_survives_the_round_trip(auth):
    response = auth.login(next_path="/profile?tab=roles")
    assert response.headers["Location"] == "/profile?tab=roles"


def test_off_site_next_lands_on_the_portal(auth):
    response = auth.login(next_path="//evil.example/steal")
    assert response.headers["Location"] == "/profile"


def test_signed_out_profile_goes_through_sign_in(client):
    response = client.get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fprofile"


def test_home_shows_sign_in_or_who_you_are(auth, client):
    assert "Sign in" in client.get("/").get_data(as_text=True)
    auth.login()
    assert "Welcome, Alex Originator" in client.get("/").get_data(as_text=True)  # as the profile


def test_several_tabs_signing_in_at_once_all_succeed(auth, client):
    first = auth.callback_url(next_path="/profile?tab=1")
    second = auth.callback_url(next_path="/profile?tab=2")
    for url, expected in ((second, "/profile?tab=2"), (first, "/profile?tab=1")):
        parts = urlsplit(url)
        response = client.get(parts.path, query_string=parts.query)
        assert response.status_code == 302, response.get_data(as_text=True)
        assert response.headers["Location"] == expected


def test_replayed_callback_makes_no_second_token_request(auth, client, access_service):
    url = auth.callback_url()
    parts = urlsplit(url)
    assert client.get(parts.path, query_string=parts.query).status_code == 302
    before = token_requests(access_service.url, "authorization_code")
    replay = client.get(parts.path, query_string=parts.query)
    assert replay.status_code == 400
    assert token_requests(access_service.url, "authorization_code") == before


def test_denied_approval_shows_a_clear_page(environ, redis_client, clock):
    from app import create_app
    from config import Settings
    from tests.support.auth import AuthActions, portal_client

    environ.update(
        COCOON_CLIENT_ID="approvalClientApplication",
        COCOON_CLIENT_SECRET="approvalClientApplicationSecret",
    )
    client = portal_client(create_app(Settings.from_env(environ), clock=clock, testing=True))
    response = AuthActions(client).login(approve=False)
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "Sign-in cancelled" in html
    assert "User denied access" in html
    assert client.get("/profile").status_code == 302  # not signed in


def test_approval_path_signs_in(environ, redis_client, clock):
    from app import create_app
    from config import Settings
    from tests.support.auth import AuthActions, portal_client

    environ.update(
        COCOON_CLIENT_ID="approvalClientApplication",
        COCOON_CLIENT_SECRET="approvalClientApplicationSecret",
    )
    client = portal_client(create_app(Settings.from_env(environ), clock=clock, testing=True))
    assert AuthActions(client).login(approve=True).headers["Location"] == "/profile"
    assert client.get("/profile").status_code == 200


def test_a_session_of_an_earlier_development_build_ends_at_the_upgrade(
    auth, app, client, redis_client, environ
):
    """Earlier development builds sealed grants as version 1 and kept a copy of the account
    summary in the session: this build reads neither. Such a session is sent through sign-in,
    ends (its key goes), and the person signs in afresh."""
    auth.login()
    [key] = session_keys(redis_client)
    data = msgspec.msgpack.decode(redis_client.get(key))
    grant = f"portal:grant:{data['grant']}"
    tokens = app.extensions["portal"].sealer.open(redis_client.get(grant))
    sealing_key = base64.urlsafe_b64decode(environ["TOKEN_ENCRYPTION_KEYS"])
    redis_client.set(grant, seal_like_an_earlier_build(sealing_key, tokens), keepttl=True)
    del data["user"]
    data["account"] = {"user_name": tokens.user_name, "roles": ["ROLE_FROM_THE_OLD_RELEASE"]}
    redis_client.set(key, msgspec.msgpack.encode(data), keepttl=True)

    page = client.get("/profile")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    assert redis_client.exists(key) == 0
    assert auth.login().status_code == 302
    profile = client.get("/profile")
    assert profile.status_code == 200
    assert "ROLE_FROM_THE_OLD_RELEASE" not in profile.get_data(as_text=True)
