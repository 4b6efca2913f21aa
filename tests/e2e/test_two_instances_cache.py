"""Two portal instances on one Redis, each serving sessions from its workers' caches: a refresh
or a sign-out on one reaches the other at its very next request."""

from __future__ import annotations

import base64
import os
import re
import time
from datetime import UTC, datetime

import pytest
import redis
import requests

from tests.support.auth import sign_in
from tests.support.emulator import token_requests
from tests.support.pages import SESSION_COOKIE

VALIDITY = 8  # seconds an access token lives: the refresh is due 0.8 s before it expires


def reads(client: redis.Redis) -> int:
    """Session reads Redis has served so far (GET, GETEX)."""
    stats = client.info("commandstats")
    return sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("get", "getex"))


def expiry(page: requests.Response) -> datetime:
    assert page.status_code == 200, page.status_code
    shown = re.search(r'<time datetime="([^"]+)"', page.text).group(1)
    return datetime.strptime(shown, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def profile(portal, browser: requests.Session) -> requests.Response:
    cookie = {SESSION_COOKIE: browser.cookies.get(SESSION_COOKIE)}
    return requests.get(portal.url + "/profile", cookies=cookie, allow_redirects=False, timeout=10)


def cached(portal, browser: requests.Session, client: redis.Redis) -> None:
    """Ask portal for the page until it serves it with no Redis read (from its cache)."""
    deadline = time.monotonic() + 5
    while True:
        before = reads(client)
        expiry(profile(portal, browser))
        if reads(client) == before:
            return
        assert time.monotonic() < deadline, "the session was never served from the cache"
        time.sleep(0.05)


@pytest.mark.slow
def test_a_sign_out_or_refresh_on_one_instance_reaches_the_others_cache_at_once(
    start_redis, start_access_service, start_portal
):
    store = start_redis()
    client = redis.Redis.from_url(store.url)
    # The document's token responses (no `expires_in`): the JWT's `exp`, whole seconds, dates
    # the token, so the expiry the page shows to the second is exact and the wait below lands
    # between the two instances' refresh times (with Spring's `expires_in` it has a fraction).
    emulator = start_access_service(
        "--access-token-validity", str(VALIDITY), "--token-response", "document"
    )
    shared = {"TOKEN_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode()}
    # One worker each, so that the worker that cached the session is the one asked. The
    # second instance refreshes only at the last moment: a copy it served from its cache after
    # the first one refreshed would show the old expiry, not be refreshed again.
    first = start_portal(store.url, emulator.url, workers=1, **shared)
    second = start_portal(store.url, emulator.url, workers=1, TOKEN_REFRESH_LEEWAY="0.01", **shared)
    staying, leaving = sign_in(first.url), sign_in(first.url)
    for browser in (staying, leaving):
        cached(second, browser, client)
    before = reads(client)
    for _ in range(10):
        expiry(profile(second, staying))
    assert reads(client) == before  # ten pages, no Redis read

    page = leaving.get(first.url + "/profile", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    signed_out = leaving.post(
        first.url + "/logout", data={"csrf_token": token}, allow_redirects=False, timeout=10
    )
    assert signed_out.status_code == 303
    refused = profile(second, leaving)  # the very next request, no wait
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]

    shown = expiry(profile(second, staying))
    while time.time() < shown.timestamp() - 0.6:  # the first instance's refresh is due
        assert expiry(profile(second, staying)) == shown  # its cache serves meanwhile
        time.sleep(0.1)
    refreshes = token_requests(emulator.url, "refresh_token")
    refreshed = expiry(profile(first, staying))
    assert refreshed > shown
    assert token_requests(emulator.url, "refresh_token") == refreshes + 1
    assert expiry(profile(second, staying)) == refreshed  # the very next request
    assert token_requests(emulator.url, "refresh_token") == refreshes + 1
