"""The user API client (app/cocoon/api.py) on its own, no Flask: a system account's token
against the real emulator, and stand-in servers for what the emulator never answers."""

from __future__ import annotations

import logging
import time
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import pytest

from app.cocoon.api import UserApi
from app.cocoon.errors import (
    NotFound,
    NotPermitted,
    PlatformUnavailable,
    Rejected,
    SessionOver,
    UnusableAnswer,
)
from app.cocoon.resources import AccountDetails
from app.cocoon.system_account import SystemAccount
from config import Settings
from tests.support.clock import Clock
from tests.support.emulator import token_requests
from tests.support.processes import free_port, http_server_in_thread

ALEX = ("alex.originator@xy-company.com", "password1")
SAM = ("sam.viewer@xy-company.com", "password2")


def settings_for(base_url: str) -> Settings:
    return Settings.from_env(
        {
            "PORTAL_ENV": "development",
            "SECRET_KEY": "user-api-test-secret-0123456789abcdef",
            "COCOON_ACCESS_SERVICE_URL": base_url,
            "HTTP_READ_TIMEOUT": "1",
        }
    )


def api_for(base_url: str, user=ALEX, clock=time.time) -> UserApi:
    """The client with a system account's tokens, as `flask cocoon me` builds it."""
    settings = settings_for(base_url)
    return UserApi.from_settings(
        settings, SystemAccount.from_settings(settings, *user, clock=clock)
    )


class FixedToken:
    """A token source that always offers the same token (one the platform does not know)."""

    def access_token(self) -> str:
        return "not-a-token"

    def renew(self, rejected: str) -> str:
        return "still-not-a-token"


def test_reads_the_account(access_service):
    account = api_for(access_service.url).me()
    assert account.email == ALEX[0]
    assert account.first_name == "Alex" and account.full_name == "Alex Originator"
    assert "ROLE_ORIGINATOR" in account.roles


def test_a_refused_change_names_its_field_and_changes_nothing(access_service):
    api = api_for(access_service.url)
    before = api.me()
    with pytest.raises(Rejected) as refused:
        api.update_me(AccountDetails("Alex", "Originator", None, "0123 456"))
    assert refused.value.field == "mobileNumber"
    assert refused.value.message.startswith("mobileNumber must start with +")
    assert api.me() == before


def test_a_change_sends_all_four_details(access_service):
    api = api_for(access_service.url)
    before = api.me()
    try:
        changed = api.update_me(AccountDetails("Alexandra", None, "Al", "+44 7700 900123"))
        assert (changed.first_name, changed.last_name, changed.other_name) == (
            "Alexandra",
            None,
            "Al",
        )
        assert api.me().mobile_number == "+44 7700 900123"
    finally:
        api.update_me(before.details())


def test_not_permitted_and_not_found(access_service):
    with pytest.raises(NotPermitted):
        api_for(access_service.url, SAM).update_me(AccountDetails("Sam", "Viewer", None, None))
    with pytest.raises(NotFound):
        api_for(access_service.url).withdraw_approval("123456789")


def test_a_token_that_expires_between_two_calls_is_refreshed_first(short_token_access_service):
    base = short_token_access_service.url
    api = api_for(base)
    api.me()
    refreshes = token_requests(base, "refresh_token")
    time.sleep(2.1)  # the 2-second token has expired: the next call refreshes before it goes
    assert api.me().email == ALEX[0]
    assert token_requests(base, "refresh_token") == refreshes + 1


def test_a_token_refused_by_the_platform_is_renewed_once_and_the_call_retried(
    short_token_access_service, caplog
):
    base = short_token_access_service.url
    clock = Clock()
    api = api_for(base, clock=clock)
    api.me()
    refreshes = token_requests(base, "refresh_token")
    clock.advance(-60)  # the portal's clock lags: it believes the expired token still valid
    time.sleep(2.1)
    caplog.set_level(logging.INFO, logger="app.cocoon.api")
    caplog.clear()
    assert api.me().email == ALEX[0]
    assert token_requests(base, "refresh_token") == refreshes + 1
    statuses = [
        record.status
        for record in caplog.records
        if getattr(record, "event", None) == "platform_call"
    ]
    assert statuses == [401, 200]


def test_a_second_401_is_the_end_of_the_session(access_service):
    api = UserApi(access_service.url + "/api/v1", FixedToken(), 1, 1)
    with pytest.raises(SessionOver):
        api.me()


class Answers(BaseHTTPRequestHandler):
    """Answers every request with `reply` (status, body), after `delay` seconds."""

    reply: ClassVar[tuple[int, bytes]] = (200, b"{}")
    delay: ClassVar[float] = 0.0

    def do_GET(self) -> None:
        time.sleep(self.delay)
        status, body = self.reply
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.mark.parametrize(
    ("reply", "delay", "error"),
    [
        ((500, b'{"error":"boom"}'), 0, PlatformUnavailable),
        ((502, b"<html>bad gateway</html>"), 0, PlatformUnavailable),
        ((200, b"<html>a login page</html>"), 0, UnusableAnswer),
        ((200, b'{"id": 7, "email": "a@b"}'), 0, UnusableAnswer),
        (
            (200, b'{"id": "1", "email": "a@b", "firstName": "' + b"x" * 300 + b'"}'),
            0,
            UnusableAnswer,
        ),
        ((200, b'{"id": "1", "email": "' + b"x" * 2_000_000 + b'"}'), 0, UnusableAnswer),
        ((200, b'{"id": "1", "email": "a@b"}'), 1.5, PlatformUnavailable),
    ],
    ids=["500", "502-html", "not-json", "wrong-type", "too-long", "too-large", "timeout"],
)
def test_what_the_platform_cannot_answer_is_a_clear_error(reply, delay, error, caplog):
    Answers.reply, Answers.delay = reply, delay
    caplog.set_level(logging.DEBUG)
    with http_server_in_thread(Answers) as url, pytest.raises(error) as raised:
        UserApi(url + "/api/v1", FixedToken(), 1, 1).me()
    assert "x" * 50 not in str(raised.value)
    assert all("not-a-token" not in record.getMessage() for record in caplog.records)


def test_an_unreachable_platform_is_unavailable():
    with pytest.raises(PlatformUnavailable):
        UserApi(f"http://127.0.0.1:{free_port()}/api/v1", FixedToken(), 1, 1).me()


def test_no_token_or_body_is_logged(access_service, caplog):
    caplog.set_level(logging.DEBUG)
    api = api_for(access_service.url)
    account = api.me()
    token = api.tokens.access_token()
    with pytest.raises(Rejected):
        api.update_me(AccountDetails("Alex", "Originator", None, "0123 456"))
    lines = [record.getMessage() + str(record.__dict__) for record in caplog.records]
    assert any("GET /users/me" in line for line in lines)
    for line in lines:
        assert token not in line and token[-40:] not in line
        assert account.mobile_number not in line and "0123 456" not in line
