"""Signing in to the portal in tests, through the real emulator's pages.

`AuthActions` drives a portal app in-process (Flask's test client), as flaskr's tests do;
`sign_in` drives a portal over real HTTP with a browser-like requests.Session.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from flask.testing import FlaskClient

from tests.support.agent import SignInAgent

# What a desktop browser says it is (Chrome 131 on Windows, 111 characters).
DESKTOP_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
# Where an in-process portal's test client sends its requests: the redirect URI's origin.
PORTAL_HOST = "localhost:5000"
REDIRECT_URI = f"http://{PORTAL_HOST}/authcallback"


class ServerLikeClient(FlaskClient):
    """Flask's test client as a server: each response read whole and closed (a file it sends
    is closed too), and returned once the revocations it queued are done
    (app/cocoon/revocations.py makes them beside the request): a test then reads what the
    platform was told."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        response = super().open(*args, **kwargs)
        assert self.application.extensions["portal"].revocations.wait(30), "revocations hang"
        return response


def portal_client(app):
    """A test client whose requests arrive on the redirect URI's origin, as a browser's do."""
    app.config["SERVER_NAME"] = PORTAL_HOST  # Flask's test client sends requests there
    app.test_client_class = ServerLikeClient
    return app.test_client()


class AuthActions:
    """Sign in through the real access-service with a Flask test client."""

    def __init__(self, client):
        self.client = client

    def start(self, next_path: str | None = None):
        """GET /login; returns the response (a redirect to the access-service)."""
        query = {"next": next_path} if next_path else None
        return self.client.get("/login", query_string=query)

    def callback_url(self, next_path: str | None = None, **agent_options) -> str:
        """Go through the access-service's pages; return the callback URL it redirects to."""
        response = self.start(next_path)
        assert response.status_code == 302, response.status_code
        return SignInAgent(**agent_options).authorize(response.headers["Location"])

    def login(self, next_path: str | None = None, **agent_options):
        """The whole dance; returns the portal's answer to the callback."""
        url = self.callback_url(next_path, **agent_options)
        parts = urlsplit(url)
        return self.client.get(parts.path, query_string=parts.query)


def sign_in(
    portal_url: str,
    next_path: str | None = None,
    user_agent: str | None = None,
    **agent_options,
) -> requests.Session:
    """A browser-like requests.Session signed in to the portal at portal_url (saying it is
    `user_agent`, else requests' own User-Agent)."""
    browser = requests.Session()
    if user_agent is not None:
        browser.headers["User-Agent"] = user_agent
    params = {"next": next_path} if next_path else None
    response = browser.get(portal_url + "/login", params=params, allow_redirects=False, timeout=15)
    assert response.status_code == 302, response.status_code
    callback = SignInAgent(**agent_options).authorize(response.headers["Location"])
    response = browser.get(callback, allow_redirects=False, timeout=15)
    assert response.status_code == 302, response.text[:500]
    browser.landed_on = response.headers["Location"]  # where the portal sent us after sign-in
    return browser
