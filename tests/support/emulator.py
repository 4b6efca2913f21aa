"""Reading the emulated access-service's counters, to prove what the portal did (or did not) ask."""

from __future__ import annotations

import requests

from tests.support.agent import SignInAgent


def token_requests(base_url: str, grant_type: str) -> int:
    """How many token requests of grant_type the emulator has served since its start/reset."""
    stats = requests.get(base_url + "/emulator/stats", timeout=5).json()
    return stats["token_requests"].get(grant_type, 0)


def revocations(base_url: str) -> int:
    return requests.get(base_url + "/emulator/stats", timeout=5).json()["revocations"]


def refresh_works(base_url: str, refresh_token: str, client: tuple[str, str]) -> bool:
    """Whether the emulator still accepts refresh_token from client (it issues new tokens)."""
    response = requests.post(
        base_url + "/api/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=client,
        timeout=5,
    )
    return response.status_code == 200


def approve_client(base_url: str, username: str, password: str) -> None:
    """Approve `approvalClientApplication` for the user on the emulator's pages, as a person
    would in a browser: the user then has one approval to list and withdraw."""
    query = (
        "response_type=code&client_id=approvalClientApplication"
        "&redirect_uri=http://127.0.0.1:5000/authcallback"
    )
    SignInAgent(username, password).authorize(f"{base_url}/api/oauth/authorize?{query}")
