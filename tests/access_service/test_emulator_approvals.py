"""Approvals: recorded on the approval page, listed and withdrawn through the user API."""

from __future__ import annotations

import pytest

from tests.access_service.helpers import ALEX, APPROVAL, DOC_REDIRECT, SAM, query
from tests.access_service.inprocess import Emulator, demo_data

APPROVALS = "/api/v1/users/me/applications/approvals"
REMEMBERING = ("rememberingClient", "approvalClientApplicationSecret")


def add_remembering_client(data: dict) -> None:
    """A copy of approvalClientApplication that remembers approvals (same secret hash)."""
    approval = next(c for c in data["clients"] if c["client_id"] == APPROVAL[0])
    data["clients"].append(
        {**approval, "client_id": REMEMBERING[0], "remember_approvals": True, "description": "R"}
    )


@pytest.fixture()
def emulator(tmp_path) -> Emulator:
    return Emulator(tmp_path, DATA_FILE=str(demo_data(tmp_path / "d.json", add_remembering_client)))


def code_tokens(emulator: Emulator, browser, client: tuple[str, str]) -> dict:
    """Tokens for alex through the authorize endpoint (approving when asked)."""
    code = emulator.approve_code(browser, client[0])
    response = emulator.token(
        client, grant_type="authorization_code", code=code, redirect_uri=DOC_REDIRECT
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def authorize_again(browser):
    """The remembering client's authorize request, from a browser already signed in."""
    query = {"response_type": "code", "client_id": REMEMBERING[0], "redirect_uri": DOC_REDIRECT}
    return browser.get("/api/oauth/authorize", query_string=query)


def test_approving_records_an_approval_listed_once_per_client(emulator):
    browser = emulator.browser()
    issued = code_tokens(emulator, browser, APPROVAL)
    code_tokens(emulator, browser, APPROVAL)  # the page again, approved again: still one
    response = emulator.api("GET", APPROVALS, issued["access_token"])
    assert response.status_code == 200
    [application] = response.get_json()["applications"]
    assert list(application) == ["id", "clientId", "clientDescription", "createdAt"]
    assert application["clientId"] == APPROVAL[0]
    assert application["clientDescription"] == "Example client application that asks for approval"
    assert application["id"].isdigit() and len(application["id"]) == 18
    assert application["createdAt"] == "2023-11-14T22:13:20.000+00:00"


def test_auto_approved_clients_and_the_password_grant_record_none(emulator):
    token = emulator.password_grant(ALEX)["access_token"]
    emulator.approve_code(emulator.browser(), "exampleClientApplication")
    assert emulator.api("GET", APPROVALS, token).get_json() == {"applications": []}


def test_withdrawing_ends_the_clients_tokens_and_it_asks_again(emulator):
    browser = emulator.browser()
    first = code_tokens(emulator, browser, REMEMBERING)
    # Remembered: the next authorize goes straight back with a code, no page.
    again = authorize_again(browser)
    assert again.status_code == 303 and "code" in query(again.location)
    other = emulator.password_grant(ALEX)  # not made under the approval: untouched
    [approval] = emulator.api("GET", APPROVALS, other["access_token"]).get_json()["applications"]

    deleted = emulator.api("DELETE", f"{APPROVALS}/{approval['id']}", other["access_token"])
    assert deleted.status_code == 200

    assert emulator.api("GET", "/api/v1/users/me", first["access_token"]).status_code == 401
    refused = emulator.refresh(first["refresh_token"], REMEMBERING)
    assert refused.status_code == 400
    assert (
        refused.get_json()["error_description"]
        == f"Invalid refresh token: {first['refresh_token']}"
    )
    assert emulator.api("GET", "/api/v1/users/me", other["access_token"]).status_code == 200
    assert emulator.refresh(other["refresh_token"]).status_code == 200
    assert emulator.api("GET", APPROVALS, other["access_token"]).get_json() == {"applications": []}
    asked = authorize_again(browser)
    assert asked.status_code == 200 and "Approve" in asked.get_data(as_text=True)


def test_refresh_after_withdrawal_of_a_client_that_asks_every_time(emulator):
    browser = emulator.browser()
    issued = code_tokens(emulator, browser, APPROVAL)
    refreshed = emulator.refresh(issued["refresh_token"], APPROVAL)
    assert refreshed.status_code == 200
    [approval] = emulator.api("GET", APPROVALS, issued["access_token"]).get_json()["applications"]
    emulator.api("DELETE", f"{APPROVALS}/{approval['id']}", issued["access_token"])
    # Both the first access token and the refreshed one were made under the approval.
    assert emulator.api("GET", APPROVALS, refreshed.get_json()["access_token"]).status_code == 401
    assert emulator.refresh(issued["refresh_token"], APPROVAL).status_code == 400


@pytest.mark.parametrize("approval_id", ["123", "not-a-number", "%2e%2e"])
def test_unknown_approval_id_is_404(emulator, approval_id):
    token = emulator.password_grant(ALEX)["access_token"]
    response = emulator.api("DELETE", f"{APPROVALS}/{approval_id}", token)
    assert response.status_code == 404
    assert response.get_json()["error"] == "Not Found"


def test_another_users_approval_is_404_and_stays(tmp_path):
    def sam_may_revoke(data: dict) -> None:
        sam = next(u for u in data["users"] if u["username"] == SAM[0])
        sam["authorities"].append("PERM_APP_APPROVAL_REVOKE")

    emulator = Emulator(tmp_path, DATA_FILE=str(demo_data(tmp_path / "d.json", sam_may_revoke)))
    browser = emulator.browser()
    alex = code_tokens(emulator, browser, APPROVAL)
    [approval] = emulator.api("GET", APPROVALS, alex["access_token"]).get_json()["applications"]
    sam = emulator.password_grant(SAM)["access_token"]
    response = emulator.api("DELETE", f"{APPROVALS}/{approval['id']}", sam)
    assert response.status_code == 404
    assert len(emulator.api("GET", APPROVALS, alex["access_token"]).get_json()["applications"]) == 1
