"""A failed call to the token endpoint is sorted by its HTTP meaning first, then by its body:
a 401 is the portal's client credentials whatever the body says (a real Spring Security answers
a wrong secret with `Basic realm="oauth2/client"` and Spring Boot's error body, whose `error`
is "Unauthorized"), a 5xx or a body not of the expected shape is the platform's, and a 400 with
an OAuth error is sorted by its code. The token endpoint here is a local stand-in serving
crafted answers over real HTTP (the access-service is outside the project; the portal's client,
pages and command line under test are not)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import create_app
from app.cocoon.client import AccessServiceClient
from app.cocoon.errors import (
    AccessServiceError,
    AccessServiceUnavailable,
    ClientConfigurationError,
    InvalidTokenResponse,
    TokenRefused,
)
from app.cocoon.tokens import TokenSet
from config import Settings
from tests.support.auth import portal_client
from tests.support.cli import run_cocoon
from tests.support.processes import http_server_in_thread

SECRET = "the-client-secret"
REFRESH_TOKEN = "5bd0ef86-7c8c-4b7a-9d0b-4b1b0a5b0c3e"
BASIC_CHALLENGE = 'Basic realm="oauth2/client"'
# The case: what a real Spring Security OAuth2 2.4.0 server (Boot 2.7) answers to a
# wrong client secret.
SPRING_WRONG_SECRET = (
    401,
    BASIC_CHALLENGE,
    json.dumps(
        {
            "timestamp": "2026-12-08T03:11:40.123+00:00",
            "status": 401,
            "error": "Unauthorized",
            "path": "/api/oauth/token",
        }
    ).encode(),
)


class CraftedAnswer(BaseHTTPRequestHandler):
    """Answers every request with `status`, `challenge` (WWW-Authenticate, when set), `body`."""

    status = 200
    challenge: str | None = None
    body = b""
    content_type = "application/json"

    def do_POST(self):  # http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(self.status)
        if self.challenge is not None:
            self.send_header("WWW-Authenticate", self.challenge)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


def serve(status: int, challenge: str | None, body: bytes, content_type: str = "") -> None:
    CraftedAnswer.status, CraftedAnswer.challenge, CraftedAnswer.body = status, challenge, body
    CraftedAnswer.content_type = content_type or "application/json"


@pytest.fixture(scope="module")
def stand_in() -> Iterator[str]:
    with http_server_in_thread(CraftedAnswer) as url:
        yield url


@pytest.fixture(scope="module")
def client(stand_in) -> AccessServiceClient:
    return AccessServiceClient(
        client_id="exampleClientApplication",
        client_secret=SECRET,
        token_endpoint=stand_in + "/api/oauth/token",
        revocation_endpoint=stand_in + "/api/oauth/revoke",
        connect_timeout=5,
        read_timeout=5,
    )


# --- what the stand-in may answer ---------------------------------------------------------

# RFC 6749 and Spring codes, and a few an odd server might invent.
OAUTH_CODES = [
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "invalid_token",
    "unauthorized",
    "access_denied",
    "server_error",
    "method_not_allowed",
    "temporarily_unavailable",
]
USER_GRANT_401 = {"invalid_token", "invalid_grant"}
CLIENT_CODES = {"invalid_client", "unauthorized_client", "unsupported_grant_type", "unauthorized"}
# Spring repeats what it was sent; the portal never repeats a secret it sent.
descriptions = (
    st.none()
    | st.text(max_size=40)
    | st.sampled_from([f"Invalid refresh token: {REFRESH_TOKEN}", f"Bad credentials: {SECRET}"])
)


@st.composite
def oauth_bodies(draw) -> tuple[bytes, str]:
    """An RFC 6749 section 5.2 error body; (bytes, its code)."""
    code = draw(st.sampled_from(OAUTH_CODES))
    body = {"error": code}
    description = draw(descriptions)
    if description is not None:
        body["error_description"] = description
    return json.dumps(body).encode(), code


boot_bodies = st.builds(
    lambda status, error, path: json.dumps(
        {
            "timestamp": "2026-12-08T03:11:40.123+00:00",
            "status": status,
            "error": error,
            "path": path,
        }
    ).encode(),
    st.integers(400, 599),
    st.sampled_from(["Unauthorized", "Bad Request", "Forbidden", "Internal Server Error"]),
    st.sampled_from(["/api/oauth/token", "/error"]),
)
other_bodies = st.sampled_from(
    [
        b"",
        b"<html><body><h1>401 Authorization Required</h1></body></html>",
        b"{not json",
        b"[]",
        b'"unauthorized"',
        b'{"error": 42}',
        b'{"message": "Unauthorized"}',
        b"\xff\xfe\x00garbage",
        b"[" * 100_000,  # nested past Python's recursion limit
    ]
) | st.binary(max_size=60)
challenges = st.sampled_from(
    [None, BASIC_CHALLENGE, 'Bearer error="invalid_token"', 'Bearer realm="oauth2/client"']
)


def expected_for(status: int, challenge: str | None, code: str | None) -> type[Exception]:
    """The sorting the portal promises (app/cocoon/errors.py), written from the rules."""
    if status >= 500 or status == 429:
        return AccessServiceUnavailable
    if status == 401:
        if code in USER_GRANT_401:
            return TokenRefused
        if code == "unauthorized" and (challenge or "").startswith("Bearer"):
            return TokenRefused
        return ClientConfigurationError
    if status in (403, 404, 405):
        return ClientConfigurationError
    if code is None:
        return InvalidTokenResponse
    return ClientConfigurationError if code in CLIENT_CODES else TokenRefused


CALLS = {
    "authorization_code": lambda c: c.exchange_code("Ab3dE6", "http://127.0.0.1/authcallback"),
    "password": lambda c: c.password_grant("alex.originator@xy-company.com", "password1"),
    "refresh_token": lambda c: c.refresh(TokenSet(access_token="x", refresh_token=REFRESH_TOKEN)),
}


def failure_of(client: AccessServiceClient, call: str) -> AccessServiceError:
    with pytest.raises(AccessServiceError) as caught:
        CALLS[call](client)
    return caught.value


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    status=st.sampled_from([400, 401, 401, 403, 404, 405, 409, 415, 429, 500, 502, 503])
    | st.integers(400, 599),
    challenge=challenges,
    body=oauth_bodies()
    | boot_bodies.map(lambda b: (b, None))
    | other_bodies.map(lambda b: (b, None)),
    call=st.sampled_from(sorted(CALLS)),
)
def test_every_error_answer_is_sorted_by_status_then_body(client, status, challenge, body, call):
    raw, code = body
    serve(status, challenge, raw)
    error = failure_of(client, call)
    assert type(error) is expected_for(status, challenge, code)
    assert SECRET not in str(error)
    if call == "refresh_token":
        assert REFRESH_TOKEN not in str(error)
    if isinstance(error, ClientConfigurationError) and status == 401:
        assert "COCOON_CLIENT_ID" in str(error) and "COCOON_CLIENT_SECRET" in str(error)
    if code is not None and isinstance(error, TokenRefused | ClientConfigurationError):
        assert error.error == code and error.status == status


@settings(max_examples=60, deadline=None)
@given(challenge=challenges, body=boot_bodies | other_bodies, call=st.sampled_from(sorted(CALLS)))
def test_a_401_is_the_client_credentials_whatever_its_body(client, challenge, body, call):
    serve(401, challenge, body)
    assert type(failure_of(client, call)) is ClientConfigurationError


@pytest.mark.parametrize("call", sorted(CALLS))
def test_the_spring_answer_to_a_wrong_secret_is_the_client_credentials(client, call):
    serve(*SPRING_WRONG_SECRET)
    error = failure_of(client, call)
    assert isinstance(error, ClientConfigurationError)
    assert "COCOON_CLIENT_ID" in str(error) and "COCOON_CLIENT_SECRET" in str(error)


@pytest.mark.parametrize(
    ("status", "kind"), [(400, InvalidTokenResponse), (401, ClientConfigurationError)]
)
def test_a_body_nested_past_any_use_is_sorted_by_its_status(client, status, kind):
    serve(status, None, b"[" * 100_000)
    assert type(failure_of(client, "password")) is kind


def test_a_success_status_with_an_error_body_is_not_of_the_expected_shape(client):
    serve(200, None, json.dumps({"error": "invalid_grant"}).encode())
    assert type(failure_of(client, "password")) is InvalidTokenResponse


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (SPRING_WRONG_SECRET, "ClientConfigurationError"),
        ((503, None, b"<html>down</html>"), "AccessServiceUnavailable"),
        ((400, None, b'{"error": "invalid_grant"}'), "TokenRefused"),
        ((400, None, b"<html>bad</html>"), "InvalidTokenResponse"),
    ],
)
def test_revocation_sorts_the_same_way(client, caplog, answer, kind):
    """Revocation never fails a sign-out; its warning names the same kind of failure."""
    serve(*answer)
    caplog.set_level(logging.WARNING)
    assert client.revoke(REFRESH_TOKEN) is False
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and f"({kind})" in warnings[0]
    assert REFRESH_TOKEN not in caplog.text


# --- the pages and the command line ----------------------------------------------------------


@pytest.fixture()
def crafted_portal(environ, redis_client, clock, stand_in):
    """A portal whose token endpoint is the stand-in (built in a fixture: the app's logging
    set-up replaces the root handlers, caplog's among them)."""
    environ.update(COCOON_BACKCHANNEL_URL=stand_in, COCOON_TOKEN_KEY_URL="")
    return portal_client(create_app(Settings.from_env(environ), clock=clock, testing=True))


def callback(client):
    login = client.get("/login")
    state = parse_qs(urlsplit(login.headers["Location"]).query)["state"][0]
    return client.get("/authcallback", query_string={"code": "Ab3dE6", "state": state})


@pytest.mark.parametrize(
    "answer",
    [
        SPRING_WRONG_SECRET,
        (401, BASIC_CHALLENGE, b'{"error":"unauthorized","error_description":"Bad credentials"}'),
        (401, None, b"<html><body>401 Authorization Required</body></html>"),
        (401, BASIC_CHALLENGE, b""),
        (401, None, b"Unauthorized"),
    ],
    ids=["spring boot json (the issue's case)", "oauth json", "html", "empty", "not json"],
)
def test_a_401_at_sign_in_is_the_operators_page_and_an_error_line(crafted_portal, caplog, answer):
    serve(*answer)
    caplog.set_level(logging.INFO)
    page = callback(crafted_portal)
    assert page.status_code == 502
    html = page.get_data(as_text=True)
    assert "cannot reach its sign-in service with its current settings" in html
    assert "sign in again" not in html.lower()
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "COCOON_CLIENT_ID" in errors[0] and "COCOON_CLIENT_SECRET" in errors[0]
    assert crafted_portal.get("/profile").status_code == 302  # no session was made


@pytest.mark.parametrize("command", ["token", "refresh"])
def test_the_command_line_names_the_client_settings_on_a_401(stand_in, command):
    serve(*SPRING_WRONG_SECRET)
    options = ["--username", "alex.originator@xy-company.com"] if command == "token" else []
    secret = {"token": "COCOON_PASSWORD", "refresh": "COCOON_REFRESH_TOKEN"}[command]
    result = run_cocoon(stand_in, command, *options, env={secret: REFRESH_TOKEN})
    assert result.returncode == 1 and result.stdout == ""
    assert "refused this portal's client" in result.stderr
    assert "COCOON_CLIENT_ID" in result.stderr and "COCOON_CLIENT_SECRET" in result.stderr
    assert "Traceback" not in result.stderr and REFRESH_TOKEN not in result.stderr
