"""Security controls (RFC 9700, RFC 9207, OWASP ASVS sessions), in-process with real Redis and
the real emulator."""

import pathlib
import pickle
from urllib.parse import parse_qs, urlsplit

import pytest

from app import create_app
from config import Settings
from tests.support.auth import portal_client
from tests.support.emulator import token_requests

HTTPS = "https://portal.example"


def production_app(environ, clock, **overrides):
    environ = {
        **environ,
        "PORTAL_ENV": "production",
        "TRUSTED_HOSTS": "",
        "COCOON_REDIRECT_URI": HTTPS + "/authcallback",
        **overrides,
    }
    return create_app(Settings.from_env(environ), clock=clock, testing=True)


def state_of(login_response) -> str:
    return parse_qs(urlsplit(login_response.headers["Location"]).query)["state"][0]


def test_production_sign_in_cookie_is_host_prefixed_secure_httponly_lax(
    environ, redis_client, clock
):
    client = production_app(environ, clock).test_client()
    client.set_cookie("__Host-session", "plantedBeforeSignIn000", domain="portal.example")
    response = client.get("/login", base_url=HTTPS)  # the session is read, the sign-in's set
    cookies = response.headers.getlist("Set-Cookie")
    assert [cookie.split("=")[0][:15] for cookie in cookies] == ["__Host-sign-in-"]
    for cookie in cookies:
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        assert {"secure", "httponly", "samesite", "path"} <= attributes
        assert "domain" not in attributes
        assert "SameSite=Lax" in cookie and "Path=/" in cookie


def test_production_redirects_plain_http_to_https_but_not_probes(environ, redis_client, clock):
    client = production_app(environ, clock).test_client()
    response = client.get("/profile?x=1", base_url="http://portal.example")
    assert response.status_code == 308
    assert response.headers["Location"] == "https://portal.example/profile?x=1"
    assert client.get("/healthz", base_url="http://portal.example").status_code == 200


def test_hsts_in_production_only(environ, redis_client, clock, client):
    production = production_app(environ, clock).test_client()
    hsts = production.get("/", base_url=HTTPS).headers["Strict-Transport-Security"]
    assert int(hsts.split("max-age=")[1].split(";")[0]) >= 31_536_000
    assert "Strict-Transport-Security" not in client.get("/").headers


@pytest.mark.parametrize("path", ["/", "/no-such-page", "/authcallback"])
def test_security_headers_on_every_response_error_pages_included(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
    ):
        assert directive in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Server" not in headers
    expected = "no-referrer" if path == "/authcallback" else "same-origin"
    assert headers["Referrer-Policy"] == expected
    for name in ("Content-Security-Policy", "Referrer-Policy", "X-Frame-Options"):
        assert len(headers.getlist(name)) == 1, name
    assert headers["Cache-Control"] == "no-store" and headers["Pragma"] == "no-cache"


def test_static_files_keep_their_own_caching(client):
    with client.get("/static/portal.css") as css:
        assert css.status_code == 200
        assert "no-store" not in css.headers["Cache-Control"]
        assert "Pragma" not in css.headers
        assert "Content-Security-Policy" in css.headers


@pytest.mark.parametrize(
    "query",
    [
        {},  # no state at all
        {"code": "abc123"},  # code without state
        {"code": "abc123", "state": "forged-state-value-123456"},
        {"code": "abc123", "state": "x" * 20_000},  # absurdly long
        {"code": "abc123", "state": "abc\x00def-ghijklmnopqr"},
    ],
)
def test_bad_callbacks_are_refused_without_a_token_request(auth, client, access_service, query):
    auth.start()  # this browser has a real pending sign-in; the callback is not it
    before = token_requests(access_service.url, "authorization_code")
    response = client.get("/authcallback", query_string=query)
    assert response.status_code == 400
    assert "Traceback" not in response.get_data(as_text=True)
    assert token_requests(access_service.url, "authorization_code") == before


def test_another_browsers_state_is_refused(auth, app, access_service):
    victim_state = state_of(auth.start())
    attacker = app.test_client()
    before = token_requests(access_service.url, "authorization_code")
    response = attacker.get("/authcallback", query_string={"code": "abc123", "state": victim_state})
    assert response.status_code == 400
    assert token_requests(access_service.url, "authorization_code") == before


def test_post_to_the_callback_is_a_4xx(client):
    assert 400 <= client.post("/authcallback", data={"code": "x"}).status_code < 500


def test_server_error_is_shown_escaped(auth, client):
    state = state_of(auth.start())
    response = client.get(
        "/authcallback",
        query_string={
            "state": state,
            "error": "access_denied",
            "error_description": "<script>alert(1)</script>",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


def test_issuer_mismatch_is_refused_before_the_token_request(
    environ, redis_client, clock, access_service
):
    environ["COCOON_ISSUER"] = access_service.url
    client = portal_client(create_app(Settings.from_env(environ), clock=clock, testing=True))
    state = state_of(client.get("/login"))
    before = token_requests(access_service.url, "authorization_code")
    response = client.get(
        "/authcallback",
        query_string={"state": state, "code": "abc123", "iss": "https://evil.example"},
    )
    assert response.status_code == 400
    assert token_requests(access_service.url, "authorization_code") == before


def test_login_is_rate_limited_with_a_clear_429(environ, redis_client, clock):
    environ["LOGIN_RATE_LIMIT"] = "3/minute"
    client = portal_client(create_app(Settings.from_env(environ), clock=clock, testing=True))
    statuses = [client.get("/login").status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    response = client.get("/login")
    assert response.headers["Retry-After"]
    assert "Too many sign-ins" in response.get_data(as_text=True)


def test_idle_timeout_is_the_redis_ttl(auth, client, redis_client):
    auth.login()
    key = f"portal:session:{client.get_cookie('portal_session').value}"
    assert 1790 <= redis_client.ttl(key) <= 1800


def test_absolute_timeout_signs_out_and_caps_the_ttl(auth, client, clock, redis_client):
    auth.login()
    key = f"portal:session:{client.get_cookie('portal_session').value}"
    clock.advance(43_200 - 100)  # 100 s before the 12 h absolute limit
    client.get("/")
    assert redis_client.ttl(key) <= 100
    clock.advance(101)
    assert "Sign in" in client.get("/").get_data(as_text=True)
    assert redis_client.exists(key) == 0


@pytest.mark.parametrize("cookie", ["not-a-session-id", "A" * 43, "x" * 3000, "'; DROP"])
def test_tampered_or_unknown_cookie_is_simply_signed_out(auth, client, cookie):
    auth.login()
    client.set_cookie("portal_session", cookie)
    response = client.get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


class RunsCode:
    """Unpickled, touches `marker`."""

    def __init__(self, marker: pathlib.Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return pathlib.Path.touch, (self.marker,)


def test_a_session_key_holding_a_pickle_runs_nothing_in_the_portal(
    auth, client, redis_client, tmp_path
):
    """Whoever can write a session key in Redis gets no code run: the signed-in session's key,
    overwritten with a pickle that would touch a file, is no session (sent through sign-in)."""
    auth.login()
    sid = client.get_cookie("portal_session").value
    marker = tmp_path / "ran"
    payload = pickle.dumps({"grant": RunsCode(marker), "user": "alex"})
    redis_client.set(f"portal:session:{sid}", payload, keepttl=True)
    for path in ("/profile", "/account/sessions", "/"):
        response = client.get(path)
        assert response.status_code in (200, 302)
    assert response.status_code == 200  # the home page, signed out
    assert client.get("/profile").headers["Location"].startswith("/login")
    assert not marker.exists()
    pickle.loads(payload)  # the payload is live: unpickled, it does run
    assert marker.exists()


def test_only_trusted_hosts_are_answered(environ, redis_client, clock):
    client = production_app(environ, clock, TRUSTED_HOSTS="portal.example").test_client()
    assert client.get("/", base_url=HTTPS).status_code == 200
    assert client.get("/", base_url="https://evil.example").status_code == 400
    assert client.get("/login", base_url="https://evil.example").status_code == 400
