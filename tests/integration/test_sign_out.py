"""Sign-out signs the person out: of the portal, and of the access-service's own sign-in in
this browser (OpenID Connect RP-Initiated Logout 1.0), so that on a shared computer the next
person is asked for a password instead of becoming the previous user."""

import time
from urllib.parse import parse_qs, urlsplit

from app import create_app
from config import Settings
from tests.support.auth import PORTAL_HOST, AuthActions, portal_client
from tests.support.pages import csrf_token, session_id

SIGNED_OUT_URI = f"http://{PORTAL_HOST}/signed-out"
SIGN_OUT_COOKIE = "portal_signed_out"


def sign_out(client):
    return client.post("/logout", data={"csrf_token": csrf_token(client)})


def test_sign_out_sends_the_browser_to_the_platforms_sign_out(auth, client, access_service):
    auth.login()
    response = sign_out(client)
    assert response.status_code == 303
    target = urlsplit(response.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == access_service.url + "/logout"
    query = parse_qs(target.query)
    assert query["client_id"] == ["exampleClientApplication"]
    assert query["post_logout_redirect_uri"] == [SIGNED_OUT_URI]
    state = query["state"][0]
    assert len(state) >= 32
    assert client.get_cookie(SIGN_OUT_COOKIE).value == state
    # A fresh state at every sign-out.
    auth.login()
    again = parse_qs(urlsplit(sign_out(client).headers["Location"]).query)["state"][0]
    assert again != state


def test_coming_back_with_the_state_confirms_both_sign_outs(auth, client):
    auth.login()
    state = parse_qs(urlsplit(sign_out(client).headers["Location"]).query)["state"][0]
    page = client.get("/signed-out", query_string={"state": state})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "You are signed out of this portal and of Cocoon Data" in html
    assert "may still be signed in" not in html
    assert client.get_cookie(SIGN_OUT_COOKIE) is None  # single use
    assert client.get("/profile").status_code == 302


def test_a_wrong_or_missing_state_confirms_nothing(auth, client):
    auth.login()
    sign_out(client)
    for query in ({"state": "forged-state-value-forged-state-value"}, {}):
        html = client.get("/signed-out", query_string=query).get_data(as_text=True)
        assert "of Cocoon Data in this browser" not in html
        assert "may still be signed in to Cocoon Data" in html


def test_without_a_logout_url_the_page_says_how_to_sign_out_there(
    environ, clock, redis_client, access_service
):
    environ.pop("COCOON_LOGOUT_URL")
    client = portal_client(create_app(Settings.from_env(environ), clock=clock, testing=True))
    AuthActions(client).login()
    old = session_id(client)
    response = sign_out(client)
    assert response.status_code == 303
    assert response.headers["Location"] == "/signed-out"
    assert redis_client.exists(f"portal:session:{old}") == 0
    html = client.get("/signed-out").get_data(as_text=True)
    assert "may still be signed in to Cocoon Data" in html
    assert f'href="{access_service.url}"' in html


def test_the_signed_out_page_is_html_and_its_csp_lets_sign_out_reach_the_platform(
    auth, client, access_service
):
    auth.login()
    response = sign_out(client)
    csp = response.headers["Content-Security-Policy"]
    # Browsers apply form-action to the redirect after the sign-out form's POST.
    assert f"form-action 'self' {access_service.url};" in csp
    page = client.get("/signed-out")
    assert page.mimetype == "text/html"
    assert "form-action 'self' " in page.headers["Content-Security-Policy"]


def test_without_a_logout_url_forms_post_only_here(environ, clock, redis_client):
    environ.pop("COCOON_LOGOUT_URL")
    client = portal_client(create_app(Settings.from_env(environ), clock=clock, testing=True))
    assert "form-action 'self';" in client.get("/").headers["Content-Security-Policy"]


def test_a_sessions_csrf_token_is_signed_once_and_a_new_sign_in_gets_another(auth, client):
    auth.login()
    first = csrf_token(client)
    time.sleep(1.05)  # flask-wtf's signature carries the time, in seconds
    assert csrf_token(client) == first  # signed once per session secret and worker
    assert client.post("/logout", data={"csrf_token": first}).status_code == 303
    auth.login()
    second = csrf_token(client)
    assert second != first
    assert client.post("/logout", data={"csrf_token": first}).status_code == 400
    assert client.post("/logout", data={"csrf_token": second}).status_code == 303
