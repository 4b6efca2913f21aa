"""The emulator in this process (Flask's test client), with a clock the test moves by hand.

Faster than a server and isolated per test: lockouts, changed users and switched token stores
cannot leak into the session's shared emulator.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from access_service import create_app
from access_service.data import DEMO_DATA
from tests.access_service.helpers import ALEX, DOC_REDIRECT, EXAMPLE, csrf_token, query
from tests.support.clock import Clock


def basic(client: tuple[str, str]) -> dict[str, str]:
    """An HTTP Basic Authorization header."""
    raw = base64.b64encode(f"{client[0]}:{client[1]}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def bearer(token: str) -> dict[str, str]:
    """A Bearer Authorization header."""
    return {"Authorization": f"Bearer {token}"}


def demo_data(path: Path, change=None) -> Path:
    """A copy of the demo data at path, after change(data) if given."""
    data = json.loads(DEMO_DATA.read_text())
    if change:
        change(data)
    path.write_text(json.dumps(data))
    return path


class Emulator:
    """An in-process emulator: its app, a clock, and helpers for tokens and pages."""

    def __init__(self, tmp_path: Path, **config: Any) -> None:
        self.clock = Clock(start=1_700_000_000.0)  # frozen: only advance() moves it
        settings = {
            "SIGNING_KEY_FILE": str(tmp_path / "key.pem"),
            "REDIS_URL": None,
            "CLOCK": self.clock,
            "WTF_CSRF_TIME_LIMIT": None,
            **config,
        }
        self.app = create_app(settings)
        self.services = self.app.extensions["access_service"]

    def browser(self) -> FlaskClient:
        """A fresh browser (cookie jar)."""
        return self.app.test_client()

    def token(self, client: tuple[str, str] = EXAMPLE, **form: str) -> TestResponse:
        """POST the token endpoint with Basic client credentials."""
        return self.app.test_client().post("/api/oauth/token", data=form, headers=basic(client))

    def password_grant(self, user: tuple[str, str] = ALEX, **form: str) -> dict[str, Any]:
        """A successful password grant's body."""
        response = self.token(grant_type="password", username=user[0], password=user[1], **form)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def refresh(self, refresh_token: str, client: tuple[str, str] = EXAMPLE) -> TestResponse:
        """A refresh grant."""
        return self.token(client, grant_type="refresh_token", refresh_token=refresh_token)

    def api(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> TestResponse:
        """Call the user API, with the token as Bearer when given."""
        headers = {**(bearer(token) if token else {}), **kwargs.pop("headers", {})}
        return self.app.test_client().open(path, method=method, headers=headers, **kwargs)

    def sign_in(self, browser: FlaskClient, user: tuple[str, str] = ALEX) -> TestResponse:
        """Post the sign-in form."""
        page = browser.get("/login").get_data(as_text=True)
        form = {"csrf_token": csrf_token(page), "username": user[0], "password": user[1]}
        return browser.post("/login", data=form)

    def approve_code(
        self, browser: FlaskClient, client_id: str, redirect_uri: str = DOC_REDIRECT
    ) -> str:
        """Go through authorize (sign-in and the approval page when shown); the code."""
        params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri}
        response = browser.get("/api/oauth/authorize", query_string=params)
        if response.status_code == 302 and response.location.endswith("/login"):
            self.sign_in(browser)
            response = browser.get("/api/oauth/authorize", query_string=params)
        if response.status_code == 200:  # the approval page
            token = csrf_token(response.get_data(as_text=True))
            form = {"csrf_token": token, "user_oauth_approval": "true"}
            response = browser.post("/api/oauth/authorize", data=form)
        assert response.status_code == 303, response.get_data(as_text=True)
        return query(response.location)["code"]
