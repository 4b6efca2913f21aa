"""Ending sessions across two portal instances under gunicorn, sharing Redis: a session ended
from another browser, or by "Sign out everywhere", is refused on its very next request on every
instance, and its refresh token no longer works at the emulator."""

from __future__ import annotations

import base64
import re

import msgspec
import pytest
import redis
import requests

from app.cocoon.sealing import TokenSealer
from tests.support.auth import sign_in
from tests.support.emulator import refresh_stops_working

CLIENT = ("exampleClientApplication", "exampleClientApplicationSecret")


@pytest.fixture()
def instances(portal, start_portal, redis_server, access_service) -> list[str]:
    """The session's portal and a second instance with the same secrets and Redis."""
    keys = portal.env["TOKEN_ENCRYPTION_KEYS"]
    second = start_portal(
        redis_server.url, access_service.url, workers=1, TOKEN_ENCRYPTION_KEYS=keys
    )
    return [portal.url, second.url]


def refresh_token(portal, store: redis.Redis, browser: requests.Session) -> str:
    """The refresh token the browser's session holds, read from Redis as the portal would."""
    key = portal.env["TOKEN_ENCRYPTION_KEYS"]
    sealer = TokenSealer([base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))])
    sid = browser.cookies.get("portal_session")
    data = msgspec.msgpack.decode(store.get(f"portal:session:{sid}"))
    return sealer.open(store.get(f"portal:grant:{data['grant']}")).refresh_token


def post_form(browser: requests.Session, page_url: str, **fields: str) -> requests.Response:
    """Send a form of the page at page_url, with the page's CSRF token."""
    page = browser.get(page_url, allow_redirects=False, timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return browser.post(
        page_url, data={"csrf_token": token, **fields}, allow_redirects=False, timeout=10
    )


def signed_in_on(browser: requests.Session, url: str) -> bool:
    page = browser.get(url + "/account/sessions", allow_redirects=False, timeout=10)
    assert page.status_code in (200, 302), page.status_code
    return page.status_code == 200


def test_a_session_ended_from_another_browser_is_refused_everywhere(
    instances, portal, redis_server, access_service
):
    store = redis.Redis.from_url(redis_server.url)
    laptop, phone = sign_in(instances[0]), sign_in(instances[1])
    phone_refresh = refresh_token(portal, store, phone)
    page = laptop.get(instances[0] + "/account/sessions", timeout=10).text
    [reference] = re.findall(r'name="session" value="([A-Za-z0-9_-]{22})"', page)
    ended = post_form(laptop, instances[0] + "/account/sessions", session=reference)
    assert ended.status_code == 303
    for url in reversed(instances):  # the instance that did not end it first
        assert not signed_in_on(phone, url)
    assert refresh_stops_working(access_service.url, phone_refresh, CLIENT)
    assert all(signed_in_on(laptop, url) for url in instances)


def test_sign_out_everywhere_across_instances(instances, portal, redis_server, access_service):
    store = redis.Redis.from_url(redis_server.url)
    other, here = sign_in(instances[0]), sign_in(instances[1])
    other_refresh = refresh_token(portal, store, other)
    response = post_form(here, instances[1] + "/account/sessions", everywhere="1")
    assert response.status_code == 303
    assert response.headers["Location"].startswith(access_service.url + "/logout?")
    for url in instances:
        assert not signed_in_on(other, url)
        assert not signed_in_on(here, url)
    assert refresh_stops_working(access_service.url, other_refresh, CLIENT)
