"""The portal under gunicorn, with the emulator and Redis, over real HTTP."""

import http.client
import re
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
import requests

from tests.support.auth import sign_in
from tests.support.emulator import token_requests

# Against both of the emulator's token response shapes (tests/conftest.py).
pytestmark = pytest.mark.both_token_responses


def test_sign_in_profile_and_sign_out(portal, redis_server):
    browser = sign_in(portal.url)
    profile = browser.get(portal.url + "/profile", allow_redirects=False, timeout=10)
    assert profile.status_code == 200
    assert "alex.originator@xy-company.com" in profile.text
    cookie = browser.cookies.get("portal_session")
    store = redis.Redis.from_url(redis_server.url)
    assert store.exists(f"portal:session:{cookie}") == 1

    token = re.search(r'name="csrf_token" value="([^"]+)"', profile.text).group(1)
    response = browser.post(
        portal.url + "/logout", data={"csrf_token": token}, allow_redirects=False, timeout=10
    )
    assert response.status_code == 303
    assert store.exists(f"portal:session:{cookie}") == 0
    again = browser.get(portal.url + "/profile", allow_redirects=False, timeout=10)
    assert again.status_code == 302


VALIDITY = 10  # seconds the access token of the expiry test lives


def test_a_short_token_is_refreshed_after_expiry(start_access_service, start_portal, redis_server):
    emulator = start_access_service("--access-token-validity", str(VALIDITY))
    portal = start_portal(redis_server.url, emulator.url)
    browser = sign_in(portal.url)
    signed_in_by = time.time()
    assert browser.get(portal.url + "/profile", timeout=10).status_code == 200
    # Its leeway is a tenth of its life (1 s): a page this soon after sign-in must not refresh
    # it, unless a loaded machine took 9 s to get here.
    assert token_requests(emulator.url, "refresh_token") == 0
    # Really expired: issued before signed_in_by, it expires by signed_in_by + VALIDITY.
    time.sleep(max(0.0, signed_in_by + VALIDITY + 0.2 - time.time()))
    page = browser.get(portal.url + "/profile", allow_redirects=False, timeout=10)
    assert page.status_code == 200
    assert token_requests(emulator.url, "refresh_token") == 1


def test_concurrent_requests_on_an_expired_session_refresh_once(
    start_access_service, start_portal, redis_server
):
    emulator = start_access_service("--access-token-validity", "3")
    portal = start_portal(redis_server.url, emulator.url, workers=2)
    browser = sign_in(portal.url)
    time.sleep(3.2)
    cookie = {"portal_session": browser.cookies.get("portal_session")}
    statuses: list[int] = []

    def hit() -> None:
        response = requests.get(
            portal.url + "/profile", cookies=cookie, allow_redirects=False, timeout=20
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=hit) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 12
    assert token_requests(emulator.url, "refresh_token") == 1


def test_health_and_readiness(portal):
    assert requests.get(portal.url + "/healthz", timeout=5).status_code == 200
    ready = requests.get(portal.url + "/readyz", timeout=5)
    assert ready.status_code == 200 and ready.json()["redis"] == "up"


def test_no_url_the_portal_builds_is_refused_by_its_own_server(portal):
    """A protected page with about 6 kB of query: the sign-in link built for it keeps the
    path and drops the query rather than ending on gunicorn's bare 414."""
    browser = requests.Session()
    query = "q=" + "%E2%82%AC" * 700 + "&page=2"  # 6.3 kB as sent, 3 times more re-encoded
    page = browser.get(portal.url + "/profile?" + query, allow_redirects=False, timeout=10)
    assert page.status_code == 302
    login = page.headers["Location"]
    assert login == "/login?next=%2Fprofile"
    assert browser.get(portal.url + login, allow_redirects=False, timeout=10).status_code == 302
    # A query that fits is kept whole, encoded characters and all.
    fits = "q=" + "%E2%82%AC" * 200 + "&page=2"
    page = browser.get(portal.url + "/profile?" + fits, allow_redirects=False, timeout=10)
    login = page.headers["Location"]
    assert parse_qs(urlsplit(login).query)["next"] == ["/profile?" + fits]
    answer = browser.get(portal.url + login, allow_redirects=False, timeout=10)
    assert answer.status_code == 302 and "/api/oauth/authorize" in answer.headers["Location"]


@pytest.mark.parametrize(
    "fields",
    [
        ["theme=dark", "{session}"],  # the issue's: the session cookie in the second field
        ["{session}", "theme=dark"],
        ["a=1; b=2", "{session}; c=3", "d=4"],
    ],
)
def test_cookies_in_several_header_fields_keep_the_person_signed_in(portal, redis_client, fields):
    """Issue 23, item 8: an HTTP/2 proxy may forward the cookies as several Cookie fields
    (RFC 9113 section 8.2.3), which gunicorn joins with commas. (`redis_client` empties Redis
    afterwards: no session of this test is left for the next.)"""
    browser = sign_in(portal.url)
    session = f"portal_session={browser.cookies['portal_session']}"
    connection = http.client.HTTPConnection("127.0.0.1", portal.port, timeout=10)
    try:
        connection.putrequest("GET", "/profile")
        for field in fields:
            connection.putheader("Cookie", field.format(session=session))
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 200, response.status
        assert "alex.originator@xy-company.com" in response.read().decode()
    finally:
        connection.close()
