"""The two token stores (`--token-store per-grant|shared`) and what a refresh does to the user."""

from __future__ import annotations

import json
import os

import pytest

from tests.access_service.helpers import ALEX, EXAMPLE, SAM, jwt_part
from tests.access_service.inprocess import Emulator, basic, demo_data


def check_token(emulator: Emulator, token: str):
    """POST check_token as the demo client."""
    return emulator.app.test_client().post(
        "/api/oauth/check_token", data={"token": token}, headers=basic(EXAMPLE)
    )


def test_per_grant_store_gives_every_grant_new_tokens(tmp_path):
    emulator = Emulator(tmp_path)
    first, second = emulator.password_grant(ALEX), emulator.password_grant(ALEX)
    assert first["access_token"] != second["access_token"]
    assert first["refresh_token"] != second["refresh_token"]
    refreshed = emulator.refresh(first["refresh_token"]).get_json()
    assert refreshed["refresh_token"] == first["refresh_token"]  # reused, not rotated
    assert check_token(emulator, first["access_token"]).status_code == 200  # still valid


def test_shared_store_gives_the_same_tokens_to_the_same_user_client_and_scope(tmp_path):
    emulator = Emulator(tmp_path, TOKEN_STORE="shared")
    first, second = emulator.password_grant(ALEX), emulator.password_grant(ALEX)
    assert second == first
    narrower = emulator.password_grant(ALEX, scope="SCOPE_VIEW")
    assert narrower["access_token"] != first["access_token"]  # another scope, other tokens
    assert emulator.password_grant(SAM)["refresh_token"] != first["refresh_token"]


def test_shared_store_refresh_removes_the_old_access_token(tmp_path):
    emulator = Emulator(tmp_path, TOKEN_STORE="shared")
    first = emulator.password_grant(ALEX)
    refreshed = emulator.refresh(first["refresh_token"]).get_json()
    assert refreshed["refresh_token"] == first["refresh_token"]
    gone = check_token(emulator, first["access_token"])
    assert gone.status_code == 400
    assert gone.get_json() == {
        "error": "invalid_token",
        "error_description": "Token was not recognised",
    }
    assert check_token(emulator, refreshed["access_token"]).status_code == 200
    # A second browser signing in now gets the refreshed tokens.
    assert emulator.password_grant(ALEX) == refreshed


def test_shared_store_after_the_access_token_expired_keeps_the_refresh_token(tmp_path):
    emulator = Emulator(tmp_path, TOKEN_STORE="shared")
    first = emulator.password_grant(ALEX)
    emulator.clock.advance(43_200)
    later = emulator.password_grant(ALEX)
    assert later["access_token"] != first["access_token"]
    assert later["refresh_token"] == first["refresh_token"]


def test_shared_store_after_sign_out_revocation_starts_afresh(tmp_path):
    emulator = Emulator(tmp_path, TOKEN_STORE="shared")
    first = emulator.password_grant(ALEX)
    emulator.app.test_client().post(
        "/api/oauth/revoke", data={"token": first["refresh_token"]}, headers=basic(EXAMPLE)
    )
    later = emulator.password_grant(ALEX)
    assert later["refresh_token"] != first["refresh_token"]
    assert check_token(emulator, later["access_token"]).status_code == 200


def test_unknown_token_store_is_refused(tmp_path):
    with pytest.raises(ValueError, match="token store"):
        Emulator(tmp_path, TOKEN_STORE="jdbc")


@pytest.fixture()
def data_file(tmp_path):
    return demo_data(tmp_path / "data.json")


def edit_user(path, username: str, change) -> None:
    """Change a user in the data file (None: delete them), as a developer would."""
    data = json.loads(path.read_text())
    user = next(u for u in data["users"] if u["username"] == username)
    data["users"].remove(user)
    if (changed := change(user)) is not None:
        data["users"].append(changed)
    path.write_text(json.dumps(data))
    stat = os.stat(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # surely a new mtime


@pytest.mark.parametrize("store", ["per-grant", "shared"])
def test_refresh_reloads_the_user_with_changed_authorities(tmp_path, data_file, store):
    emulator = Emulator(tmp_path, DATA_FILE=str(data_file), TOKEN_STORE=store)
    issued = emulator.password_grant(SAM)
    edit_user(data_file, SAM[0], lambda u: {**u, "authorities": ["ROLE_VIEWER", "PERM_NEW"]})
    refreshed = emulator.refresh(issued["refresh_token"], EXAMPLE)
    assert refreshed.status_code == 200
    assert jwt_part(refreshed.get_json()["access_token"], 1)["authorities"] == [
        "ROLE_VIEWER",
        "PERM_NEW",
    ]


@pytest.mark.parametrize(
    ("change", "description"),
    [
        (lambda u: None, "Username sam.viewer@xy-company.com not found"),
        (lambda u: {**u, "enabled": False}, "User is disabled"),
    ],
)
def test_refresh_refuses_a_deleted_or_disabled_user(tmp_path, data_file, change, description):
    emulator = Emulator(tmp_path, DATA_FILE=str(data_file))
    issued = emulator.password_grant(SAM)
    edit_user(data_file, SAM[0], change)
    refused = emulator.refresh(issued["refresh_token"])
    assert refused.status_code == 401
    assert refused.get_json() == {"error": "unauthorized", "error_description": description}
    assert refused.headers["WWW-Authenticate"] == (
        f'Bearer error="unauthorized", error_description="{description}"'
    )


def test_disabled_user_cannot_sign_in_with_a_password(tmp_path, data_file):
    edit_user(data_file, SAM[0], lambda u: {**u, "enabled": False})
    emulator = Emulator(tmp_path, DATA_FILE=str(data_file))
    refused = emulator.token(grant_type="password", username=SAM[0], password=SAM[1])
    assert refused.status_code == 400
    assert refused.get_json() == {"error": "invalid_grant", "error_description": "User is disabled"}


def test_a_half_written_data_file_keeps_the_previous_users(tmp_path, data_file):
    emulator = Emulator(tmp_path, DATA_FILE=str(data_file))
    issued = emulator.password_grant(SAM)
    data_file.write_text('{"clients": [')
    assert emulator.refresh(issued["refresh_token"]).status_code == 200
