"""A token response is untrusted input all the way to later pages: an absurd one refuses the
sign-in with a clear 502 and no session; one the portal can use never breaks a page later.
The token endpoint here is a local stand-in serving crafted answers (the access-service is
outside the project; the portal under test is not)."""

from __future__ import annotations

import json
import logging
import uuid
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import pytest

from app import create_app
from config import Settings
from tests.support.auth import portal_client
from tests.support.processes import http_server_in_thread
from tests.support.tokens import jwt_with_claims

JAVA_LONG_MAX = 9_223_372_036_854_775_807


class CraftedTokenEndpoint(BaseHTTPRequestHandler):
    """Answers every token request with `body` (bytes) and `status`."""

    body = b"{}"
    status = 200

    def do_POST(self):  # http.server's naming
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture()
def crafted(environ, redis_client, clock):
    """(client, serve): `serve(body, status)` sets the stand-in's next answers."""
    with http_server_in_thread(CraftedTokenEndpoint) as url:
        environ.update(COCOON_BACKCHANNEL_URL=url, COCOON_TOKEN_KEY_URL="")
        app = create_app(Settings.from_env(environ), clock=clock, testing=True)

        def serve(body, status: int = 200) -> None:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            CraftedTokenEndpoint.body, CraftedTokenEndpoint.status = raw, status

        yield portal_client(app), serve


def callback(client):
    login = client.get("/login")
    state = parse_qs(urlsplit(login.headers["Location"]).query)["state"][0]
    return client.get("/authcallback", query_string={"code": "Ab3dE6", "state": state})


def claims(**changes) -> dict:
    base = {
        "exp": 4_000_000_000,
        "user_name": "alex.originator@xy-company.com",
        "authorities": ["ROLE_ORIGINATOR", "PERM_VIEW"],
        "jti": str(uuid.uuid4()),
        "client_id": "exampleClientApplication",
        "scope": ["SCOPE_VIEW"],
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


def response(token_claims: dict, **members) -> dict:
    body = {
        "access_token": jwt_with_claims(token_claims),
        "token_type": "bearer",
        "refresh_token": str(uuid.uuid4()),
        "jti": "j-1",
    }
    body.update(members)
    return body


UNUSABLE = {
    "exp as text": response(claims(exp="tomorrow")),
    "negative exp": response(claims(exp=-5)),
    "user_name as a list": response(claims(user_name=["a", "b"])),
    "authorities as an object": response(claims(authorities={"ROLE_ADMIN": True})),
    "another client's token": response(claims(client_id="someOtherClient")),
    "expires_in as an object": response(claims(), expires_in={"seconds": 60}),
    "negative expires_in": response(claims(), expires_in=-1),
    "token_type mac": response(claims(), token_type="mac"),
    "refresh_token as a number": response(claims(), refresh_token=42),
    "a JSON list": [1, 2, 3],
    "no access_token": {"token_type": "bearer"},
}


@pytest.mark.parametrize("body", UNUSABLE.values(), ids=UNUSABLE.keys())
def test_an_unusable_token_response_refuses_the_sign_in_clearly(crafted, body, caplog):
    client, serve = crafted
    serve(body)
    caplog.set_level(logging.ERROR)
    page = callback(client)
    assert page.status_code == 502
    assert "returned a token this portal cannot use" in page.get_data(as_text=True)
    assert "Traceback" not in page.get_data(as_text=True)
    assert client.get("/profile").status_code == 302  # no session was made
    assert "token_unusable" in caplog.text


@pytest.mark.parametrize(
    "body",
    [b"<html>gateway page</html>", b"{not json", b"1e400"],
    ids=["html", "broken json", "a number"],
)
def test_a_success_that_is_not_a_token_response_is_a_502(crafted, body):
    client, serve = crafted
    serve(body)
    assert callback(client).status_code == 502


@pytest.mark.parametrize(
    "body",
    [
        response(claims(exp=JAVA_LONG_MAX)),  # Java's "never expires"
        response(claims(exp=10**30)),
        response(claims(), expires_in=10**30),
        response(claims(exp=None, user_name=None, authorities=None, scope=None)),
        response(claims(user_name="Zoë <script>alert(1)</script>")),
    ],
    ids=["java long max", "huge exp", "huge expires_in", "no claims", "markup in the name"],
)
def test_a_usable_but_odd_token_never_breaks_a_later_page(crafted, body):
    client, serve = crafted
    serve(body)
    assert callback(client).status_code == 302
    for _ in range(2):  # later pages, not only the first
        page = client.get("/profile")
        assert page.status_code == 200
        assert "<script>alert" not in page.get_data(as_text=True)
    assert client.get("/").status_code == 200
