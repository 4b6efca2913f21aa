"""The sign-in rate limit (LOGIN_RATE_LIMIT): a sign-in counts once, and the 429 page and its
Retry-After say truly when the next one is let through."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from app import create_app
from config import Settings
from tests.support.agent import SignInAgent
from tests.support.auth import portal_client


def portal(environ, clock, limit: str):
    """The portal's app with limit; its client's requests arrive on the redirect URI's origin."""
    environ["LOGIN_RATE_LIMIT"] = limit
    return portal_client(create_app(Settings.from_env(environ), clock=clock, testing=True))


def full_sign_in(client) -> int:
    """/login, the emulator's pages, then /authcallback: the callback's status."""
    start = client.get("/login")
    assert start.status_code == 302, start.status_code
    callback = urlsplit(SignInAgent().authorize(start.headers["Location"]))
    return client.get(callback.path, query_string=callback.query).status_code


def test_a_sign_in_is_counted_once_not_at_login_and_callback(environ, redis_client, clock):
    client = portal(environ, clock, "2/minute")
    # Two whole sign-ins fit a limit of two (counting the callbacks too, the second would not).
    assert [full_sign_in(client), full_sign_in(client)] == [302, 302]
    assert client.get("/login").status_code == 429


def test_the_hop_to_the_redirect_uris_origin_is_not_counted(environ, redis_client, clock):
    environ["LOGIN_RATE_LIMIT"] = "1/minute"
    settings = Settings.from_env(environ)
    on_origin = portal_client(create_app(settings, clock=clock, testing=True))
    elsewhere = create_app(settings, clock=clock, testing=True).test_client()  # another host
    hops = [elsewhere.get("/login") for _ in range(3)]
    assert [hop.status_code for hop in hops] == [302, 302, 302], hops[0].get_data(as_text=True)
    origin = environ["COCOON_REDIRECT_URI"].removesuffix("/authcallback")
    assert [hop.location.split("?")[0] for hop in hops] == [origin + "/login"] * 3
    assert [on_origin.get("/login").status_code for _ in range(2)] == [302, 429]


def test_the_429_page_names_the_limit_and_the_true_wait(environ, redis_client, clock):
    client = portal(environ, clock, "3/10 minutes")
    for _ in range(3):
        assert client.get("/login").status_code == 302
    refused = client.get("/login")
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    # The rest of the 10-minute window (flask-limiter rounds up by a second), not a fixed 5 s.
    assert 540 < wait <= 601
    text = refused.get_data(as_text=True)
    assert "allows 3 every 10 minutes from one address" in text
    assert f"try again in {-(-wait // 60)} minutes" in text


def test_retry_after_is_when_the_next_sign_in_goes_through(environ, redis_client, clock):
    client = portal(environ, clock, "2/second")
    statuses = [client.get("/login").status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    refused = client.get("/login")
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 2 and f"try again in {wait} second" in refused.get_data(as_text=True)
    time.sleep(wait)
    assert client.get("/login").status_code == 302
