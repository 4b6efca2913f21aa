"""The per-user index of sessions, the Sessions page, ending sessions and "Sign out
everywhere", against the real emulator and Redis."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from urllib.parse import urlsplit

import msgspec
import pytest
import requests

from app import create_app
from config import Settings
from tests.support.agent import SignInAgent
from tests.support.auth import AuthActions, portal_client
from tests.support.emulator import refresh_works, revocations
from tests.support.pages import SESSION_COOKIE, page_csrf_token, session_id

CLIENT = ("exampleClientApplication", "exampleClientApplicationSecret")
FIREFOX_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
)
ALEX = ("alex.originator@xy-company.com", "password1")


def browser(app):
    """Another browser of the same person: its own cookies, signed in."""
    client = portal_client(app)
    AuthActions(client).login()
    return client


def index_key(redis_client) -> bytes:
    """The user's index (this release's: its reference is 22 characters)."""
    [key] = [
        key
        for key in redis_client.scan_iter("portal:user-sessions:*")
        if len(key) == len("portal:user-sessions:") + 22
    ]
    return key


def indexed(redis_client) -> set[str]:
    return {sid.decode() for sid in redis_client.zrange(index_key(redis_client), 0, -1)}


def listed(html: str) -> int:
    """How many sessions the Sessions page lists."""
    rows = html.split('<ul class="rows" id="sessions">', 1)[1].split("</ul>", 1)[0]
    return rows.count("<li")


def refresh_token_of(app, redis_client, sid: str) -> str:
    data = msgspec.msgpack.decode(redis_client.get(f"portal:session:{sid}"))
    sealed = redis_client.get(f"portal:grant:{data['grant']}")
    return app.extensions["portal"].sealer.open(sealed).refresh_token


def test_the_index_is_exact_under_sign_in_sign_out_and_timeouts(app, redis_client, clock):
    first, second, third = browser(app), browser(app), browser(app)
    sids = [session_id(client) for client in (first, second, third)]
    assert indexed(redis_client) == set(sids)
    assert 0 < redis_client.ttl(index_key(redis_client)) <= 43_200
    # Sign-out removes at once.
    first.post("/logout", data={"csrf_token": page_csrf_token(first, "/")})
    assert indexed(redis_client) == set(sids[1:])
    # A session whose Redis TTL ran out (idle timeout) is never listed, and is pruned.
    redis_client.delete(f"portal:session:{sids[1]}")
    html = third.get("/account/sessions").get_data(as_text=True)
    assert html.count('<li class="current">') == 1 and listed(html) == 1
    assert indexed(redis_client) == {sids[2]}


def test_an_idle_session_leaves_the_index_at_the_next_sign_in(environ, redis_client, clock):
    environ["SESSION_IDLE_TIMEOUT"] = "1"
    app = create_app(Settings.from_env(environ), clock=clock, testing=True)
    old = session_id(browser(app))
    time.sleep(1.5)  # its Redis TTL runs out
    new = session_id(browser(app))
    assert indexed(redis_client) == {new} and old != new


def test_sessions_past_the_absolute_timeout_are_not_listed(environ, redis_client, clock):
    environ.update(SESSION_ABSOLUTE_TIMEOUT="600", SESSION_IDLE_TIMEOUT="600")
    app = create_app(Settings.from_env(environ), clock=clock, testing=True)
    old = browser(app)
    clock.advance(540)
    current = browser(app)
    clock.advance(120)  # the first one is past its 10 minutes, the second is not
    html = current.get("/account/sessions").get_data(as_text=True)
    assert listed(html) == 1
    assert indexed(redis_client) == {session_id(current)}
    assert old.get("/profile").status_code == 302


def test_the_sessions_page_lists_each_browser_and_marks_this_one(app):
    phone = portal_client(app)
    AuthActions(phone).login()
    laptop = portal_client(app)
    laptop.environ_base["HTTP_USER_AGENT"] = FIREFOX_ON_WINDOWS
    AuthActions(laptop).login()
    html = laptop.get("/account/sessions").get_data(as_text=True)
    assert '<strong>Firefox on Windows</strong> <span class="badge">This session</span>' in html
    assert html.count("Signed in <time") == 2 and html.count("last seen <time") == 2
    assert session_id(phone) not in html and session_id(laptop) not in html  # references only


def test_ending_another_session_signs_it_out_and_revokes_its_token(
    app, redis_client, access_service
):
    phone, laptop = browser(app), browser(app)
    phone_sid = session_id(phone)
    phone_refresh = refresh_token_of(app, redis_client, phone_sid)
    html = laptop.get("/account/sessions").get_data(as_text=True)
    [reference] = re.findall(r'name="session" value="([A-Za-z0-9_-]{22})"', html)
    response = laptop.post(
        "/account/sessions",
        data={"session": reference, "csrf_token": page_csrf_token(laptop, "/account/sessions")},
    )
    assert response.headers["Location"] == "/account/sessions?ended=1"
    assert phone.get("/profile").status_code == 302  # refused on its very next request
    assert redis_client.exists(f"portal:session:{phone_sid}") == 0
    assert indexed(redis_client) == {session_id(laptop)}
    assert not refresh_works(access_service.url, phone_refresh, CLIENT)
    assert laptop.get("/account").status_code == 200


def as_earlier_build(app, redis_client, client) -> str:
    """Make client's session one that an earlier development build signed in: a 256-bit id,
    the raw User-Agent rather than the device, listed in the index that build named by the
    user name's whole HMAC in hex. Its index's key."""
    sid, old_sid = session_id(client), secrets.token_urlsafe(32)
    data = msgspec.msgpack.decode(redis_client.get(f"portal:session:{sid}"))
    del data["device"]
    data["user_agent"] = FIREFOX_ON_WINDOWS
    redis_client.set(f"portal:session:{sid}", msgspec.msgpack.encode(data), keepttl=True)
    redis_client.rename(f"portal:session:{sid}", f"portal:session:{old_sid}")
    index = index_key(redis_client)
    score = redis_client.zscore(index, sid)
    redis_client.zrem(index, sid)
    reference_key = app.extensions["portal"].reference_key
    user = hmac.new(reference_key, ALEX[0].encode(), hashlib.sha256).hexdigest()
    old_index = f"portal:user-sessions:{user}"
    redis_client.zadd(old_index, {old_sid: score})
    redis_client.expire(old_index, 43_200)
    client.set_cookie(SESSION_COOKIE, old_sid)
    return old_index


def test_a_session_of_an_earlier_development_build_ends_at_the_upgrade(app, redis_client):
    """Its 256-bit id is not one of ours: the browser is sent through sign-in, and the Sessions
    page lists this build's sessions only (the old index is left to its TTL)."""
    phone = browser(app)
    as_earlier_build(app, redis_client, phone)
    laptop = browser(app)
    assert phone.get("/profile").status_code == 302
    html = laptop.get("/account/sessions").get_data(as_text=True)
    assert listed(html) == 1 and "Firefox on Windows" not in html
    assert indexed(redis_client) == {session_id(laptop)}


def test_sign_out_everywhere(app, redis_client, access_service):
    others = [browser(app), browser(app)]
    here = browser(app)
    refresh_tokens = [
        refresh_token_of(app, redis_client, session_id(client)) for client in [*others, here]
    ]
    # A session of the same person in another application (a password grant of its own).
    elsewhere = requests.post(
        access_service.url + "/api/oauth/token",
        data={"grant_type": "password", "username": ALEX[0], "password": ALEX[1]},
        auth=CLIENT,
        timeout=5,
    ).json()["refresh_token"]
    before = revocations(access_service.url)
    response = here.post(
        "/account/sessions",
        data={"everywhere": "1", "csrf_token": page_csrf_token(here, "/account/sessions")},
    )
    assert response.status_code == 303
    assert response.headers["Location"].startswith(access_service.url + "/logout?")
    for client in [*others, here]:
        assert client.get("/profile").status_code == 302
    assert not list(redis_client.scan_iter("portal:session:*"))
    assert not list(redis_client.scan_iter("portal:user-sessions:*"))
    assert not list(redis_client.scan_iter("portal:grant*"))
    assert revocations(access_service.url) == before + 3
    for token in [*refresh_tokens, elsewhere]:
        assert not refresh_works(access_service.url, token, CLIENT)
    html = " ".join(here.get("/signed-out").get_data(as_text=True).split())
    assert "You are signed out everywhere" in html
    assert "Cocoon Data will renew none of your sessions in other applications" in html
    assert "come back here without a password" in html


def test_sign_out_everywhere_says_what_happens_and_it_is_true(app, access_service):
    """Issue 23, item 6: the page said other browsers "will ask for your password again"; they
    do not, since their sign-in at the platform survives `PUT /users/me/expire`. What the pages
    say now is what a second browser meets."""
    other_agent = SignInAgent()  # the second browser's own sign-in at the platform
    other = portal_client(app)
    finish_sign_in(other, other_agent)
    here = browser(app)
    page = " ".join(here.get("/account/sessions").get_data(as_text=True).split())
    assert "will ask for your password again" not in page
    assert "signed straight back in here without a password" in page
    response = here.post(
        "/account/sessions",
        data={"everywhere": "1", "csrf_token": page_csrf_token(here, "/account/sessions")},
    )
    assert response.status_code == 303
    assert other.get("/profile").status_code == 302  # its portal session ended at once
    # Its next page goes through the platform and back, no password asked.
    seen = len(other_agent.pages)
    finish_sign_in(other, other_agent)
    assert not any('type="password"' in page.text for page in other_agent.pages[seen:])
    assert other.get("/profile").status_code == 200


def finish_sign_in(client, agent: SignInAgent) -> None:
    """Sign in through the platform with this browser's own agent (its platform cookies)."""
    callback = urlsplit(agent.authorize(client.get("/login").headers["Location"]))
    assert client.get(callback.path, query_string=callback.query).status_code == 302


@pytest.mark.parametrize("how", ["signed-out-elsewhere", "idle-timeout", "refresh-refused"])
def test_a_form_sent_after_the_session_ended_comes_back_unsaved(
    how, app, auth, client, redis_client, clock, access_service
):
    auth.login()
    token = page_csrf_token(client, "/account")
    if how == "refresh-refused":
        refresh = refresh_token_of(app, redis_client, session_id(client))
        requests.post(
            access_service.url + "/api/oauth/revoke",
            data={"token": refresh},
            auth=CLIENT,
            timeout=5,
        )
        clock.advance(43_200 - 30)  # inside the refresh leeway, before the session's end
    else:
        redis_client.delete(f"portal:session:{session_id(client)}")
    sent = {"firstName": "Typed", "lastName": "Before", "csrf_token": token}
    response = client.post("/account", data=sent)
    if how == "refresh-refused":  # the session was still there: sign-in at once, to the page
        assert response.headers["Location"] == "/login?next=%2Faccount%3Funsaved%3D1"
    else:  # its CSRF secret went with it: back to the page, never a bare CSRF error
        assert response.status_code == 303
        assert response.headers["Location"] == "/account?unsaved=1"
        response = client.get(response.headers["Location"])
        assert response.headers["Location"] == "/login?next=%2Faccount%3Funsaved%3D1"
    clock.offset = 0
    landed = auth.login(next_path="/account?unsaved=1")
    assert landed.headers["Location"] == "/account?unsaved=1"
    html = client.get("/account?unsaved=1").get_data(as_text=True)
    assert "it was not saved" in html
    assert 'value="Typed"' not in html and 'value="Alex"' in html
