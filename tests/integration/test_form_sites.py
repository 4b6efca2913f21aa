"""Where a form may come from (app/web/form_sites.py): Origin and Fetch Metadata with the CSRF
token, as OWASP's CSRF Prevention Cheat Sheet has it; and sign-out, which always works from
this portal whatever state the session or its token is in, and never from another site."""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import create_app
from config import Settings
from tests.support.auth import PORTAL_HOST, AuthActions
from tests.support.emulator import emulator_with
from tests.support.environment import portal_environment
from tests.support.pages import csrf_token, page_csrf_token, session_id

PORTAL = f"http://{PORTAL_HOST}"
FIXTURES_KEPT = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# What a browser sends with a form of this portal's own page.
FROM_HERE = [
    {"Sec-Fetch-Site": "same-origin", "Origin": PORTAL},
    {"Sec-Fetch-Site": "same-origin", "Origin": "null"},  # a no-referrer page (Chromium)
    {"Sec-Fetch-Site": "same-origin"},
    {"Origin": PORTAL},  # a browser without Fetch Metadata
]
other_sites = st.sampled_from(
    [
        "https://evil.example",
        "http://localhost:5001",
        "https://localhost:5000",
        "null",
        "http://localhost:99999",
        "not an origin",
        "",
    ]
) | st.from_regex(r"\Ahttps?://[a-z]{1,12}\.(example|test)(:[1-9][0-9]{0,3})?\Z")
# What a browser sends with a form of another site's page.
from_elsewhere = st.one_of(
    st.builds(
        lambda site, origin: {"Sec-Fetch-Site": site, "Origin": origin},
        st.sampled_from(["cross-site", "same-site", "CROSS-SITE", "bogus"]),
        other_sites,
    ),
    other_sites.filter(lambda value: value != "null").map(lambda origin: {"Origin": origin}),
)


ALEX = {
    "firstName": "Alex",
    "lastName": "Originator",
    "otherName": "",
    "mobileNumber": "+1 234 567 8910",
}


@pytest.fixture()
def signed_in_client(auth, client):
    """A client signed in once for every example (a refused form changes nothing), and the
    CSRF token of its forms."""
    auth.login()
    return client, csrf_token(client)


def signed_in(client) -> bool:
    return client.get("/profile").status_code == 200


def idle_out(redis_client, sid: str) -> None:
    """The session's idle timeout passes: Redis expires its key (its TTL cut to 1 ms)."""
    redis_client.pexpire(f"portal:session:{sid}", 1)
    while redis_client.exists(f"portal:session:{sid}"):
        time.sleep(0.005)


def test_the_issues_input_sign_out_after_the_session_ended_reaches_the_platforms_sign_out(
    auth, client, redis_client, access_service
):
    """Issue 23, item 1: the idle timeout passed in this tab, then Sign out: no bare 400."""
    auth.login()
    token = csrf_token(client)
    idle_out(redis_client, session_id(client))
    response = client.post("/logout", data={"csrf_token": token}, headers=FROM_HERE[0])
    assert response.status_code == 303
    target = urlsplit(response.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == access_service.url + "/logout"


@FIXTURES_KEPT
@given(
    ended=st.sampled_from(["idle", "other-tab", "store-deleted", "live", "no-cookie"]),
    token=st.sampled_from(["valid", "missing", "garbage", "of-another-session"]),
    headers=st.sampled_from(FROM_HERE),
)
def test_a_sign_out_from_this_portal_always_signs_out(
    app, auth, client, clock, redis_client, ended, token, headers
):
    clock.offset = 0
    client.delete_cookie("portal_session", domain="localhost")
    auth.login()
    tokens = {
        "valid": csrf_token(client),
        "missing": None,
        "garbage": "not-a-token",
        "of-another-session": _token_of_another_session(app),
    }
    sid = session_id(client)
    if ended == "idle":
        idle_out(redis_client, sid)
    elif ended == "other-tab":
        other = app.test_client()
        other.set_cookie("portal_session", sid, domain="localhost")
        assert other.post("/logout", data={"csrf_token": tokens["valid"]}).status_code == 303
    elif ended == "store-deleted":
        redis_client.delete(f"portal:session:{sid}")
    elif ended == "no-cookie":
        client.delete_cookie("portal_session", domain="localhost")
    form = {"csrf_token": tokens[token]} if tokens[token] else {}
    response = client.post("/logout", data=form, headers=headers)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    assert "/logout?" in response.headers["Location"]  # on to the platform's sign-out
    if ended != "no-cookie":  # a browser without its cookie cannot name its session
        assert redis_client.exists(f"portal:session:{sid}") == 0
    assert not signed_in(client)


def _token_of_another_session(app) -> str:
    other = app.test_client()
    AuthActions(other).login()
    return csrf_token(other)


def test_csrf_on_logout_a_forged_cross_site_sign_out_ends_nothing(auth, client, redis_client):
    """Issue 27: /logout's own CSRF test. A page of another site that posts to /logout, with
    or without a token it cannot know, leaves the session as it was."""
    auth.login()
    sid = session_id(client)
    for headers in (
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Origin": "https://evil.example"},
    ):
        for form in ({}, {"csrf_token": "forged"}, {"csrf_token": csrf_token(client)}):
            response = client.post("/logout", data=form, headers=headers)
            assert response.status_code == 403
            assert "sent from another website" in response.get_data(as_text=True)
            assert "Location" not in response.headers
    assert redis_client.exists(f"portal:session:{sid}") == 1
    assert signed_in(client)


@FIXTURES_KEPT
@given(headers=from_elsewhere, with_token=st.booleans())
def test_no_form_of_another_site_is_accepted(signed_in_client, headers, with_token):
    client, token = signed_in_client
    for path, form in (("/logout", {}), ("/account", {"firstName": "Forged"})):
        if with_token:
            form = {**form, "csrf_token": token}
        response = client.post(path, data=form, headers=headers)
        assert response.status_code == 403, (path, headers)
    assert signed_in(client)


def test_a_sign_out_of_unknown_site_needs_the_token_while_signed_in(auth, client):
    """No Origin and no Fetch Metadata (an older browser, or a tool): the token decides."""
    auth.login()
    for form in ({}, {"csrf_token": "forged"}):
        response = client.post("/logout", data=form)
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert "you are still signed in" in html
        assert 'action="/logout"' in html  # and a Sign out button that works
        assert signed_in(client)
    assert client.post("/logout", data={"csrf_token": csrf_token(client)}).status_code == 303
    assert not signed_in(client)


def test_every_refusal_is_logged_with_its_reason_and_no_token(auth, client, caplog):
    auth.login()
    token = csrf_token(client)
    caplog.set_level(logging.WARNING, logger="app.web.form_sites")
    client.post("/logout", data={"csrf_token": token}, headers={"Sec-Fetch-Site": "cross-site"})
    client.post("/logout", data={"csrf_token": "forged-value"})
    client.post("/account", data={"csrf_token": "forged-value"}, headers=FROM_HERE[0])
    reasons = [
        record.reason
        for record in caplog.records
        if getattr(record, "event", None) == "form_refused"
    ]
    assert len(reasons) == 3, reasons
    assert "Sec-Fetch-Site: cross-site" in reasons[0]
    assert "sign-out of unknown site" in reasons[1]
    assert "CSRF token" in reasons[2]
    logged = caplog.text + " ".join(reasons)
    assert token not in logged and "forged-value" not in logged
    assert session_id(client) not in logged


def test_a_stale_form_of_a_signed_in_session_says_so_not_signed_out(auth, client):
    """Signed in again in another tab: the old tab's form has the previous session's token."""
    auth.login()
    old = page_csrf_token(client, "/account")
    auth.login()
    response = client.post(
        "/account", data={"firstName": "Typed", "csrf_token": old}, headers=FROM_HERE[0]
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/account?stale=1"
    html = client.get("/account?stale=1").get_data(as_text=True)
    assert "older than your latest sign-in" in html
    assert "You were signed out" not in html


HTTPS_PORTAL = "https://localhost:8443"  # a staging host on :8443
STAGING_CLIENT = {
    "client_id": "stagingPortal",
    "secret": "staging-portal-secret",
    "registered_redirect_uris": [HTTPS_PORTAL + "/authcallback"],
    "post_logout_redirect_uris": [HTTPS_PORTAL + "/signed-out"],
}


def test_production_forms_need_no_referer(environ, redis_client, clock, tmp_path):
    """Issue 23, item 2: in production (https), a form sent without a Referer (privacy
    settings, a proxy, the no-referrer callback pages) is accepted when it is this portal's,
    on a staging host's :8443 too (behind nginx: tests/e2e/test_nginx_stack.py)."""
    with emulator_with(tmp_path, clients=(STAGING_CLIENT,)) as emulator:
        environ = {
            **portal_environment(environ["REDIS_URL"], emulator.url),
            "PORTAL_ENV": "production",
            "COCOON_CLIENT_ID": STAGING_CLIENT["client_id"],
            "COCOON_CLIENT_SECRET": STAGING_CLIENT["secret"],
            "COCOON_REDIRECT_URI": HTTPS_PORTAL + "/authcallback",
        }
        app = create_app(Settings.from_env(environ), clock=clock, testing=True)
        app.config["SERVER_NAME"] = "localhost:8443"
        client = app.test_client()
        client.environ_base["wsgi.url_scheme"] = "https"
        landed = AuthActions(client).login()
        [session_cookie] = [
            c for c in landed.headers.getlist("Set-Cookie") if c.startswith("__Host-session=")
        ]
        for attribute in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
            assert attribute in session_cookie
        assert "Domain" not in session_cookie
        token = page_csrf_token(client, "/account")
        no_referer = ({"Origin": HTTPS_PORTAL}, {"Sec-Fetch-Site": "same-origin", "Origin": "null"})
        for headers in no_referer:
            response = client.post("/account", data={**ALEX, "csrf_token": token}, headers=headers)
            assert response.status_code == 303, response.get_data(as_text=True)[:300]
            assert response.headers["Location"] == "/account?saved=1"
        response = client.post("/logout", data={"csrf_token": token}, headers=no_referer[1])
        assert response.status_code == 303
        assert response.headers["Location"].startswith(emulator.url + "/logout?")
