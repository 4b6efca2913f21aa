"""Refresh tokens (reused and rotated) and expiry, against emulators with their own settings."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.access_service.helpers import ALEX, EXAMPLE, jwt_part, token
from tests.access_service.inprocess import Emulator, basic
from tests.support.processes import AccessService

ROTATING = ("rotatingClient", "rotatingClientSecret")


def password_grant(url: str, client=None) -> dict:
    """Tokens for the demo user."""
    args = (client,) if client else ()
    response = token(url, *args, grant_type="password", username=ALEX[0], password=ALEX[1])
    assert response.status_code == 200, response.text
    return response.json()


def test_refresh_reuses_the_refresh_token_and_keeps_the_grant(url):
    issued = password_grant(url)
    first = token(url, grant_type="refresh_token", refresh_token=issued["refresh_token"]).json()
    second = token(url, grant_type="refresh_token", refresh_token=issued["refresh_token"]).json()
    assert first["refresh_token"] == second["refresh_token"] == issued["refresh_token"]
    assert len({issued["jti"], first["jti"], second["jti"]}) == 3
    old, new = jwt_part(issued["access_token"], 1), jwt_part(second["access_token"], 1)
    assert new["jti"] == second["jti"]
    for claim in ("user_name", "authorities", "scope", "client_id"):
        assert new[claim] == old[claim]


def test_refresh_may_narrow_the_scope_but_not_widen_it(url):
    issued = password_grant(url)
    narrowed = token(
        url, grant_type="refresh_token", refresh_token=issued["refresh_token"], scope="SCOPE_VIEW"
    )
    assert jwt_part(narrowed.json()["access_token"], 1)["scope"] == ["SCOPE_VIEW"]
    wider = token(
        url,
        grant_type="refresh_token",
        refresh_token=issued["refresh_token"],
        scope="SCOPE_NOT_GRANTED",
    )
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"


def test_rotation_issues_a_new_refresh_token_and_spends_the_old(rotating_service):
    url = rotating_service.url
    issued = password_grant(url, ROTATING)
    rotated = token(
        url, ROTATING, grant_type="refresh_token", refresh_token=issued["refresh_token"]
    ).json()
    assert rotated["refresh_token"] != issued["refresh_token"]
    spent = token(url, ROTATING, grant_type="refresh_token", refresh_token=issued["refresh_token"])
    assert spent.status_code == 400
    assert spent.json() == {
        "error": "invalid_grant",
        "error_description": f"Invalid refresh token: {issued['refresh_token']}",
    }
    again = token(url, ROTATING, grant_type="refresh_token", refresh_token=rotated["refresh_token"])
    assert again.status_code == 200


@pytest.fixture(scope="module")
def short_lived(tmp_path_factory) -> Iterator[AccessService]:
    """An emulator server whose access tokens live 1 s and refresh tokens 2 s."""
    service = AccessService(
        tmp_path_factory.mktemp("short"),
        args=["--access-token-validity", "1", "--refresh-token-validity", "2"],
    ).start()
    yield service
    service.stop()


def test_the_validity_options_reach_the_tokens(short_lived):
    # exp is whole seconds (as Spring's, milliseconds divided down), counted from the issuing.
    before = int(time.time())
    issued = password_grant(short_lived.url)
    after = int(time.time())
    assert before + 1 <= jwt_part(issued["access_token"], 1)["exp"] <= after + 1
    # The refresh token's 2 s are what the expiry test below moves its clock past.


def test_expired_access_and_refresh_tokens(tmp_path):
    """With a clock only the test moves: the 1 s access token lives until its second ends, the
    2 s refresh token past it, and Spring's answers for each once expired."""
    emulator = Emulator(tmp_path, ACCESS_TOKEN_VALIDITY=1, REFRESH_TOKEN_VALIDITY=2)
    issued = emulator.password_grant()
    assert jwt_part(issued["access_token"], 1)["exp"] == int(emulator.clock()) + 1
    assert emulator_check(emulator, issued["access_token"]).status_code == 200
    emulator.clock.advance(0.5)
    assert emulator_check(emulator, issued["access_token"]).status_code == 200
    emulator.clock.advance(0.5)  # exp reached
    expired = emulator_check(emulator, issued["access_token"])
    assert expired.status_code == 400
    assert expired.get_json() == {
        "error": "invalid_token",
        "error_description": "Token has expired",
    }
    emulator.clock.advance(1.0)  # the refresh token's 2 s are up
    refresh = emulator.refresh(issued["refresh_token"])
    assert refresh.status_code == 401
    assert refresh.get_json() == {
        "error": "invalid_token",
        "error_description": f"Invalid refresh token (expired): {issued['refresh_token']}",
    }
    assert refresh.headers["Cache-Control"] == "no-store"
    # Spring forgets an expired refresh token once it has reported it.
    gone = emulator.refresh(issued["refresh_token"])
    assert gone.status_code == 400 and gone.get_json()["error"] == "invalid_grant"


def emulator_check(emulator: Emulator, access_token: str):
    """POST check_token to an in-process emulator as the example client."""
    return emulator.app.test_client().post(
        "/api/oauth/check_token", data={"token": access_token}, headers=basic(EXAMPLE)
    )
