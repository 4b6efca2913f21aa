"""Servers other than the platform: an opaque (non-JWT) access token with `expires_in`, as stock
OAuth servers send, is still a sign-in. The token endpoint here is a small local HTTP server: the
other server is outside the project, the portal under test is not."""

import json
from http.server import BaseHTTPRequestHandler
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

from app import create_app
from config import Settings
from tests.support.auth import portal_client
from tests.support.processes import http_server_in_thread


class OpaqueTokenServer(BaseHTTPRequestHandler):
    requests_seen: ClassVar[list[dict]] = []

    def do_POST(self):  # http.server's naming
        length = int(self.headers["Content-Length"])
        form = parse_qs(self.rfile.read(length).decode())
        OpaqueTokenServer.requests_seen.append(
            {
                "form": form,
                "auth": self.headers.get("Authorization", ""),
                "type": self.headers.get("Content-Type", ""),
            }
        )
        body = json.dumps(
            {
                "access_token": "opaque-access-token",
                "token_type": "Bearer",
                "expires_in": 3600,
                "refresh_token": "opaque-refresh",
                "scope": "read write",
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture()
def opaque_server():
    with http_server_in_thread(OpaqueTokenServer) as url:
        yield url


def test_opaque_token_with_expires_in_is_a_sign_in(environ, redis_client, clock, opaque_server):
    environ.update(COCOON_BACKCHANNEL_URL=opaque_server, COCOON_TOKEN_KEY_URL="")
    client = portal_client(create_app(Settings.from_env(environ), clock=clock, testing=True))
    login = client.get("/login")
    state = parse_qs(urlsplit(login.headers["Location"]).query)["state"][0]
    response = client.get("/authcallback", query_string={"code": "Ab3dE6", "state": state})
    assert response.status_code == 302 and response.headers["Location"] == "/profile"

    [seen] = OpaqueTokenServer.requests_seen[-1:]
    assert seen["type"].startswith("application/x-www-form-urlencoded")
    assert seen["auth"].startswith("Basic ")
    assert seen["form"]["grant_type"] == ["authorization_code"]
    assert seen["form"]["code"] == ["Ab3dE6"]
    assert "code_verifier" in seen["form"]

    page = client.get("/profile").get_data(as_text=True)
    assert "Not given by the access token" in page
    assert "read" in page and "write" in page  # scopes from the response's `scope`
    assert "opaque-access-token" not in page
