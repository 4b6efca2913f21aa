"""The platform down (issue 23, item 7): Sign in and Sign out answer with the portal's own pages,
which say what happened, rather than sending the browser to a host that cannot be reached."""

from __future__ import annotations

import socket

from app import create_app
from app.cocoon.reachability import Reachability
from app.components import components
from config import Settings
from tests.support.auth import portal_client
from tests.support.pages import csrf_token


def dead_url() -> str:
    """An http URL on a loopback port where nothing listens (connections are refused)."""
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}"


def test_sign_in_with_the_platform_down_is_the_portals_503_page(environ, clock, redis_client):
    dead = dead_url()
    environ.update(COCOON_ACCESS_SERVICE_URL=dead, COCOON_LOGOUT_URL=dead + "/logout")
    client = portal_client(create_app(Settings.from_env(environ), clock=clock, testing=True))
    for _ in range(3):
        response = client.get("/login", query_string={"next": "/account"})
        assert response.status_code == 503
        assert "Location" not in response.headers
        html = response.get_data(as_text=True)
        assert "The sign-in service cannot be reached" in html
        assert response.headers["Retry-After"]
    assert redis_client.keys("portal:session:*") == []  # no pending sign-in kept for nothing


def test_sign_out_with_the_platform_down_signs_out_here_and_says_so(auth, client, app):
    auth.login()
    token = csrf_token(client)
    with app.app_context():
        parts = components()
        parts.sign_out_pages = Reachability(dead_url() + "/logout", interval=0, timeout=1)
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == "/signed-out"
    html = client.get("/signed-out").get_data(as_text=True)
    assert "You are signed out" in html
    assert "sign-in service cannot be reached just now" in html
    assert client.get("/profile").status_code == 302


def test_the_platform_is_probed_once_per_interval_not_per_page(environ, clock, redis_client):
    environ["PLATFORM_PROBE_INTERVAL"] = "3600"  # an interval no slow machine outlasts
    app = create_app(Settings.from_env(environ), clock=clock, testing=True)
    client = portal_client(app)
    for _ in range(5):
        assert client.get("/").status_code == 200
        assert client.get("/login").status_code == 302
    with app.app_context():
        assert components().sign_in_pages.probes == 1


def test_the_platform_is_probed_by_the_name_the_portal_reaches_it_by(
    environ, clock, redis_client, access_service
):
    """With COCOON_BACKCHANNEL_URL (the compose stack: browsers use https://localhost:9443,
    which the portal's own container cannot reach), that name is the one probed."""
    dead = dead_url()
    environ.update(
        COCOON_ACCESS_SERVICE_URL=dead,
        COCOON_BACKCHANNEL_URL=access_service.url,
        COCOON_LOGOUT_URL=dead + "/logout",
    )
    client = portal_client(create_app(Settings.from_env(environ), clock=clock, testing=True))
    response = client.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(dead + "/api/oauth/authorize?")
