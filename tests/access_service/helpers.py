"""Helpers for the emulator's tests: Basic auth, the sign-in form and the authorize round trip."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

from access_service.data import DEMO_DATA, hash_secret

EXAMPLE = ("exampleClientApplication", "exampleClientApplicationSecret")
APPROVAL = ("approvalClientApplication", "approvalClientApplicationSecret")
SYSTEM = ("systemServiceClient", "systemServiceClientSecret")
ALEX = ("alex.originator@xy-company.com", "password1")
SAM = ("sam.viewer@xy-company.com", "password2")
DOC_REDIRECT = "https://my-application-url/authcallback"


# The document's example token response, and what a real 2.4.0 server writes (the default).
DOCUMENT_TOKEN_KEYS = ["access_token", "token_type", "refresh_token", "jti"]
SPRING_TOKEN_KEYS = ["access_token", "token_type", "refresh_token", "expires_in", "scope", "jti"]
SPRING_SECURITY_NO_CACHE = {
    "Cache-Control": "no-cache, no-store, max-age=0, must-revalidate",
    "Pragma": "no-cache",
    "Expires": "0",
}
BOOT_ERROR_KEYS = ["timestamp", "status", "error", "path"]


def assert_boot_error(response: requests.Response, status: int, reason: str, path: str) -> dict:
    """Spring Boot 2.7's default error body (no `message`) and Spring Security's cache headers."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == BOOT_ERROR_KEYS
    assert body["status"] == status and body["error"] == reason and body["path"] == path
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", body["timestamp"])
    for name, value in SPRING_SECURITY_NO_CACHE.items():
        assert response.headers[name] == value
    return body


def assert_client_authentication_failed(response: requests.Response, path: str) -> None:
    """Spring Security's `BasicAuthenticationEntryPoint`, then Spring Boot's error body."""
    assert response.headers["WWW-Authenticate"] == 'Basic realm="oauth2/client"'
    assert_boot_error(response, 401, "Unauthorized", path)


def csrf_token(html: str) -> str:
    """The CSRF field's value in a page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def jwt_part(token: str, index: int) -> dict:
    """A decoded JWT header (0) or payload (1), without verifying it."""
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def query(location: str) -> dict[str, str]:
    """The query parameters of a redirect location."""
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def fragment(location: str) -> dict[str, str]:
    """The fragment parameters of a redirect location (the implicit grant)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(location).fragment).items()}


class Browser:
    """A requests.Session that signs in and answers approval pages like a person would."""

    def __init__(self, base_url: str, user: tuple[str, str] = ALEX) -> None:
        self.base = base_url
        self.user = user
        self.http = requests.Session()

    def get(self, path: str, **params: str) -> requests.Response:
        """GET a path of the emulator without following redirects."""
        return self.http.get(urljoin(self.base, path), params=params, allow_redirects=False)

    def sign_in(self, password: str | None = None) -> requests.Response:
        """Fill and post the sign-in form."""
        page = self.get("/login")
        data = {
            "csrf_token": csrf_token(page.text),
            "username": self.user[0],
            "password": password or self.user[1],
        }
        return self.http.post(urljoin(self.base, "/login"), data=data, allow_redirects=False)

    def authorize(self, **params: str) -> requests.Response:
        """GET the authorize endpoint, signing in when sent to the form; the final response."""
        response = self.get("/api/oauth/authorize", **params)
        if response.status_code == 302 and response.headers["Location"].endswith("/login"):
            signed_in = self.sign_in()
            assert signed_in.status_code == 302, signed_in.text
            response = self.get(signed_in.headers["Location"])
        return response

    def answer(self, approval_page: requests.Response, approve: bool) -> requests.Response:
        """Press Approve or Deny on an approval page."""
        data = {
            "csrf_token": csrf_token(approval_page.text),
            "user_oauth_approval": "true" if approve else "false",
        }
        return self.http.post(
            urljoin(self.base, "/api/oauth/authorize"), data=data, allow_redirects=False
        )

    def code(
        self, client_id: str = EXAMPLE[0], redirect_uri: str = DOC_REDIRECT, **params: str
    ) -> str:
        """A fresh authorization code for an auto-approved client."""
        response = self.authorize(
            response_type="code", client_id=client_id, redirect_uri=redirect_uri, **params
        )
        assert response.status_code == 303, response.text
        return query(response.headers["Location"])["code"]


def basic(user: str, password: str) -> str:
    """An `Authorization: Basic` value for user and password (UTF-8, RFC 7617)."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def token(base_url: str, client: tuple[str, str] = EXAMPLE, **data: str) -> requests.Response:
    """POST a form to the token endpoint with Basic client credentials."""
    return requests.post(base_url + "/api/oauth/token", data=data, auth=client, timeout=10)


def write_data(path: Path, **client_changes) -> Path:
    """The demo data with an extra client `rotatingClient` (secret `rotatingClientSecret`)."""
    data = json.loads(DEMO_DATA.read_text())
    extra = dict(data["clients"][0], client_id="rotatingClient", **client_changes)
    extra["client_secret_hash"] = hash_secret("rotatingClientSecret")
    data["clients"].append(extra)
    path.write_text(json.dumps(data))
    return path
