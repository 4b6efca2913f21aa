"""The new command-line switches: `--token-key-auth basic` and `--token-store shared`."""

from __future__ import annotations

import pytest
import requests

from tests.access_service.helpers import (
    ALEX,
    BOOT_ERROR_KEYS,
    DOCUMENT_TOKEN_KEYS,
    EXAMPLE,
    SPRING_TOKEN_KEYS,
    token,
)
from tests.access_service.inprocess import Emulator, basic
from tests.support.processes import AccessService


@pytest.mark.parametrize(
    "headers",
    [{}, basic((EXAMPLE[0], "wrong")), basic(("nobody", "x")), {"Authorization": "Bearer x"}],
    ids=["none", "wrong secret", "unknown client", "bearer"],
)
def test_token_key_with_client_auth_refuses_anonymous_callers(tmp_path, headers):
    """`tokenKeyAccess("isAuthenticated()")`: Spring Security's Basic entry point."""
    emulator = Emulator(tmp_path, TOKEN_KEY_AUTH="basic")
    response = emulator.app.test_client().get("/api/oauth/token_key", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="oauth2/client"'
    body = response.get_json()
    assert list(body) == BOOT_ERROR_KEYS
    assert body["error"] == "Unauthorized" and body["path"] == "/api/oauth/token_key"


@pytest.mark.parametrize(
    ("setting", "keys"),
    [("spring", SPRING_TOKEN_KEYS), ("document", DOCUMENT_TOKEN_KEYS)],
)
def test_token_response_switch(tmp_path, setting, keys):
    """`--token-response`: a real 2.4.0 server's keys (default) or the document's four, on
    every grant that answers with a token."""
    emulator = Emulator(tmp_path, TOKEN_RESPONSE=setting)
    issued = emulator.password_grant()
    assert list(issued) == keys
    refreshed = emulator.refresh(issued["refresh_token"])
    assert list(refreshed.get_json()) == keys


def test_token_response_default_is_spring(tmp_path):
    assert list(Emulator(tmp_path).password_grant()) == SPRING_TOKEN_KEYS


def test_token_key_with_client_auth_answers_a_client(tmp_path):
    emulator = Emulator(tmp_path, TOKEN_KEY_AUTH="basic")
    response = emulator.app.test_client().get("/api/oauth/token_key", headers=basic(EXAMPLE))
    assert response.status_code == 200
    assert response.get_json()["alg"] == "SHA256withRSA"
    assert response.get_json()["value"].startswith("-----BEGIN PUBLIC KEY-----")


def test_token_key_is_public_by_default(url):
    assert requests.get(url + "/api/oauth/token_key", timeout=10).status_code == 200


def test_unknown_token_key_auth_is_refused(tmp_path):
    with pytest.raises(ValueError, match="token key auth"):
        Emulator(tmp_path, TOKEN_KEY_AUTH="digest")


@pytest.fixture(scope="module")
def switched(tmp_path_factory):
    """`python -m access_service --token-store shared --token-key-auth basic`."""
    workdir = tmp_path_factory.mktemp("switched")
    args = ["--token-store", "shared", "--token-key-auth", "basic"]
    service = AccessService(workdir, args=args).start()
    yield service.url
    service.stop()


def test_the_command_line_switches_reach_the_emulator(switched):
    assert requests.get(switched + "/api/oauth/token_key", timeout=10).status_code == 401
    keyed = requests.get(switched + "/api/oauth/token_key", auth=EXAMPLE, timeout=10)
    assert keyed.status_code == 200
    first = token(switched, grant_type="password", username=ALEX[0], password=ALEX[1]).json()
    second = token(switched, grant_type="password", username=ALEX[0], password=ALEX[1]).json()
    # The same tokens (`--token-store shared`); `expires_in` counts down between the two.
    assert second["expires_in"] <= first["expires_in"]
    assert {**second, "expires_in": 0} == {**first, "expires_in": 0}
