"""Refresh tokens (reused and rotated) and expiry, against emulators with their own settings."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from tests.access_service.helpers import ALEX, jwt_part, token
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
    """An emulator whose access tokens live 1 s and refresh tokens 2 s."""
    service = AccessService(
        tmp_path_factory.mktemp("short"),
        args=["--access-token-validity", "1", "--refresh-token-validity", "2"],
    ).start()
    yield service
    service.stop()


def test_expired_access_and_refresh_tokens(short_lived):
    url = short_lived.url
    # exp is whole seconds (as Spring's, milliseconds divided down): a 1 s token issued late in
    # a second lives only the rest of it. Start just after a second begins, so it lives ~1 s.
    time.sleep(1.02 - time.time() % 1)
    issued = password_grant(url)
    claims = jwt_part(issued["access_token"], 1)
    assert claims["exp"] - time.time() <= 1.5
    checked = token_check(url, issued["access_token"])
    assert checked.status_code == 200
    time.sleep(2.1)
    expired = token_check(url, issued["access_token"])
    assert expired.status_code == 400
    assert expired.json() == {"error": "invalid_token", "error_description": "Token has expired"}
    refresh = token(url, grant_type="refresh_token", refresh_token=issued["refresh_token"])
    assert refresh.status_code == 401
    assert refresh.json() == {
        "error": "invalid_token",
        "error_description": f"Invalid refresh token (expired): {issued['refresh_token']}",
    }
    assert refresh.headers["Cache-Control"] == "no-store"
    # Spring forgets an expired refresh token once it has reported it.
    gone = token(url, grant_type="refresh_token", refresh_token=issued["refresh_token"])
    assert gone.status_code == 400 and gone.json()["error"] == "invalid_grant"


def token_check(url: str, access_token: str):
    """POST check_token as the example client."""
    return requests.post(
        url + "/api/oauth/check_token",
        data={"token": access_token},
        auth=("exampleClientApplication", "exampleClientApplicationSecret"),
        timeout=10,
    )
