"""The new command-line switches: `--token-key-auth basic` and `--token-store shared`."""

from __future__ import annotations

import pytest
import requests

from tests.access_service.helpers import ALEX, EXAMPLE, token
from tests.access_service.inprocess import Emulator, basic
from tests.support.processes import AccessService

MISSING = "Full authentication is required to access this resource"


@pytest.mark.parametrize(
    ("headers", "description"),
    [
        ({}, MISSING),
        (basic((EXAMPLE[0], "wrong")), "Bad credentials"),
        (basic(("nobody", "x")), "Bad credentials"),
        ({"Authorization": "Bearer x"}, MISSING),
    ],
)
def test_token_key_with_client_auth_refuses_anonymous_callers(tmp_path, headers, description):
    emulator = Emulator(tmp_path, TOKEN_KEY_AUTH="basic")
    response = emulator.app.test_client().get("/api/oauth/token_key", headers=headers)
    assert response.status_code == 401
    assert response.get_json() == {"error": "unauthorized", "error_description": description}
    assert response.headers["WWW-Authenticate"] == (
        f'Basic realm="oauth2/client", error="unauthorized", error_description="{description}"'
    )


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
    assert second == first
