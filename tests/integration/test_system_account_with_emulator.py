"""SystemAccount against a real emulator whose access tokens live two seconds."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import pytest
import requests

from app.cocoon.errors import TokenRefused
from app.cocoon.system_account import SystemAccount
from config import Settings
from tests.support.clock import Clock
from tests.support.emulator import emulator_with, token_requests
from tests.support.processes import AccessService, http_server_in_thread

# Against both of the emulator's token response shapes (tests/conftest.py).
pytestmark = pytest.mark.both_token_responses

USER = "alex.originator@xy-company.com"
CLIENT = ("systemServiceClient", "systemServiceClientSecret")


@pytest.fixture(scope="module")
def short_lived_access_service(tmp_path_factory) -> Iterator[AccessService]:
    """The emulator with 2-second access tokens, so a test can wait one out."""
    workdir = tmp_path_factory.mktemp("short-lived")
    with emulator_with(workdir, "--access-token-validity", "2") as service:
        yield service


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def account(short_lived_access_service, clock) -> SystemAccount:
    """The system account, built from the portal's settings as a job would."""
    settings = Settings.from_env(
        {
            "PORTAL_ENV": "development",
            "SECRET_KEY": "service-client-test-secret-0123456789",
            "COCOON_ACCESS_SERVICE_URL": short_lived_access_service.url,
            "COCOON_CLIENT_ID": CLIENT[0],
            "COCOON_CLIENT_SECRET": CLIENT[1],
        }
    )
    return SystemAccount.from_settings(settings, USER, "password1", clock=clock)


def counts(base_url: str) -> tuple[int, int]:
    """(password grants, refresh grants) the emulator has served."""
    return token_requests(base_url, "password"), token_requests(base_url, "refresh_token")


def is_active(base_url: str, access_token: str) -> bool:
    url = base_url + "/api/oauth/check_token"
    response = requests.post(url, data={"token": access_token}, auth=CLIENT, timeout=10)
    return response.status_code == 200 and response.json()["active"] is True


def test_token_is_reused_while_valid(account, short_lived_access_service):
    url = short_lived_access_service.url
    before = counts(url)
    first = account.access_token()
    assert account.access_token() == first
    assert counts(url) == (before[0] + 1, before[1])
    assert is_active(url, first)


def test_refreshed_once_across_an_access_token_expiry(account, short_lived_access_service):
    url = short_lived_access_service.url
    first = account.access_token()
    before = counts(url)
    time.sleep(2.2)  # really expire it: the emulator now refuses the old token
    assert not is_active(url, first)
    with ThreadPoolExecutor(max_workers=8) as pool:
        tokens = set(pool.map(lambda _: account.access_token(), range(8)))
    assert len(tokens) == 1 and first not in tokens  # one refresh served every thread
    assert counts(url) == (before[0], before[1] + 1)
    assert is_active(url, tokens.pop())


def test_signs_in_again_when_the_refresh_token_is_refused(
    account, short_lived_access_service, clock
):
    url = short_lived_access_service.url
    first = account.tokens()
    revoked = requests.post(
        url + "/api/oauth/revoke", data={"token": first.refresh_token}, auth=CLIENT, timeout=10
    )
    assert revoked.status_code == 200
    before = counts(url)
    clock.offset = 3  # past the access token's expiry, without waiting for it
    fresh = account.tokens()
    assert counts(url) == (before[0] + 1, before[1] + 1)  # refused refresh, then the password
    assert fresh.refresh_token != first.refresh_token
    assert is_active(url, fresh.access_token)


def test_wrong_password_is_refused(short_lived_access_service, account):
    account.password = "not-the-password"
    with pytest.raises(TokenRefused) as refused:
        account.access_token()
    assert refused.value.error == "invalid_grant"


class RecordingHandler(BaseHTTPRequestHandler):
    """Answers 204 and keeps each request's Authorization header."""

    seen: ClassVar[list[str | None]] = []

    def do_GET(self) -> None:
        self.seen.append(self.headers.get("Authorization"))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args) -> None:
        pass


@pytest.fixture()
def recording_server() -> Iterator[str]:
    """A local HTTP server in a thread, standing in for a platform API; yields its URL."""
    RecordingHandler.seen = []
    with http_server_in_thread(RecordingHandler) as url:
        yield url


def test_session_sends_a_fresh_bearer_token(
    account, recording_server, clock, short_lived_access_service
):
    with account.session() as session:
        assert session.get(recording_server + "/api/v1/files", timeout=5).status_code == 204
        first = account.access_token()
        clock.offset = 3  # expired: the next request must carry a refreshed token
        assert session.get(recording_server + "/api/v1/files", timeout=5).status_code == 204
    assert RecordingHandler.seen[0] == f"Bearer {first}"
    scheme, _, second = RecordingHandler.seen[1].partition(" ")
    assert scheme == "Bearer" and second != first
    assert is_active(short_lived_access_service.url, second)
