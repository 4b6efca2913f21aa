"""People come back to the exact page they asked for, whatever host they started on, and the
portal believes forwarded host names only from its proxy."""

import logging
from urllib.parse import parse_qs, urlsplit

import pytest

from app import create_app
from config import Settings
from tests.support.agent import SignInAgent
from tests.support.auth import PORTAL_HOST, AuthActions, portal_client

OTHER_ORIGIN = "http://127.0.0.1:5000"  # the same portal under another name


@pytest.mark.parametrize(
    "page",
    [
        "/profile?q=hello%20world&page=2",  # the issue's own example
        "/profile?q=%E2%82%AC%20%2F%5C&sort=-name&empty=",
        "/profile?tab=roles&tab=scopes",
    ],
)
def test_a_signed_out_visit_comes_back_to_the_exact_page(client, page):
    to_login = client.get(page)
    assert to_login.status_code == 302
    next_param = parse_qs(urlsplit(to_login.headers["Location"]).query)["next"][0]
    assert next_param == page
    response = AuthActions(client).login(next_path=next_param)
    assert response.headers["Location"] == page
    assert client.get(page).status_code == 200


def follow_on(client, url: str):
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}" if parts.netloc else f"http://{PORTAL_HOST}"
    return client.get(parts.path, query_string=parts.query, base_url=base)


def test_a_sign_in_started_on_another_origin_moves_to_the_redirect_uris_first(client):
    to_login = client.get("/profile?tab=roles", base_url=OTHER_ORIGIN)
    login_url = to_login.headers["Location"]
    moved = client.get(login_url, base_url=OTHER_ORIGIN)
    assert moved.status_code == 302
    target = urlsplit(moved.headers["Location"])
    assert f"{target.scheme}://{target.netloc}" == f"http://{PORTAL_HOST}"
    assert parse_qs(target.query)["next"] == ["/profile?tab=roles"]
    # ...and the sign-in starts there, so the state's cookie and the callback share a host.
    authorize = follow_on(client, moved.headers["Location"])
    callback = SignInAgent().authorize(authorize.headers["Location"])
    assert urlsplit(callback).netloc == PORTAL_HOST
    landed = follow_on(client, callback)
    assert landed.status_code == 302
    assert landed.headers["Location"] == "/profile?tab=roles"


def test_the_move_happens_once_even_when_a_proxy_hides_the_public_host(client, caplog):
    caplog.set_level(logging.WARNING)
    response = client.get("/login?next=/profile&moved=1", base_url=OTHER_ORIGIN)
    assert urlsplit(response.headers["Location"]).path == "/api/oauth/authorize"
    assert "X-Forwarded-Host" in caplog.text


def redirect_uri_sent(client, **request) -> str:
    response = client.get("/login", **request)
    authorize = parse_qs(urlsplit(response.headers["Location"]).query)
    return authorize["redirect_uri"][0]


@pytest.fixture()
def unpinned_client(environ, clock, redis_client):
    """A portal that builds its redirect URI from the request (no COCOON_REDIRECT_URI)."""
    environ.pop("COCOON_REDIRECT_URI")
    return create_app(Settings.from_env(environ), clock=clock, testing=True).test_client()


FORWARDED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "portal.example",
    "X-Forwarded-For": "198.51.100.7",
}


def test_forwarded_host_and_port_are_believed_from_the_proxy(unpinned_client):
    assert (
        redirect_uri_sent(unpinned_client, headers=FORWARDED)
        == "https://portal.example/authcallback"
    )
    with_port = {**FORWARDED, "X-Forwarded-Port": "8443"}
    assert (
        redirect_uri_sent(unpinned_client, headers=with_port)
        == "https://portal.example:8443/authcallback"
    )


@pytest.mark.parametrize("address", ["203.0.113.9", "10.1.2.3", "::ffff:8.8.8.8"])
def test_forwarded_headers_from_anyone_else_are_ignored(unpinned_client, address):
    sent = redirect_uri_sent(
        unpinned_client,
        headers={**FORWARDED, "X-Forwarded-Port": "8443"},
        environ_overrides={"REMOTE_ADDR": address},
    )
    assert sent == "http://localhost/authcallback"


def test_a_trusted_proxy_network_is_believed(environ, clock, redis_client):
    environ.pop("COCOON_REDIRECT_URI")
    environ["FORWARDED_ALLOW_IPS"] = "10.0.0.0/8"
    client = create_app(Settings.from_env(environ), clock=clock, testing=True).test_client()
    sent = redirect_uri_sent(
        client, headers=FORWARDED, environ_overrides={"REMOTE_ADDR": "10.1.2.3"}
    )
    assert sent == "https://portal.example/authcallback"


def test_portal_client_helper_reaches_the_redirect_uris_origin(app):
    # The other tests of this module rely on it: requests arrive where the redirect URI points.
    response = portal_client(app).get("/login")
    assert parse_qs(urlsplit(response.headers["Location"]).query)["redirect_uri"] == [
        f"http://{PORTAL_HOST}/authcallback"
    ]
