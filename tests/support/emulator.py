"""The emulated access-service in tests: its counters, to prove what the portal did (or did not)
ask, and emulators with extra clients or switches."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from werkzeug.security import generate_password_hash

from tests.support.agent import SignInAgent
from tests.support.processes import ROOT, AccessService

DEMO_DATA = ROOT / "access_service" / "demo_data.json"


def token_requests(base_url: str, grant_type: str) -> int:
    """How many token requests of grant_type the emulator has served since its start/reset."""
    stats = requests.get(base_url + "/emulator/stats", timeout=5).json()
    return stats["token_requests"].get(grant_type, 0)


def revocations(base_url: str) -> int:
    return requests.get(base_url + "/emulator/stats", timeout=5).json()["revocations"]


def refresh_stops_working(
    base_url: str, refresh_token: str, client: tuple[str, str], timeout: float = 30.0
) -> bool:
    """Whether the emulator stops accepting refresh_token within `timeout` seconds (generous):
    a portal under gunicorn revokes beside its requests (app/cocoon/revocations.py), so the
    revocation may land just after the page that asked for it."""
    deadline = time.monotonic() + timeout
    while refresh_works(base_url, refresh_token, client):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


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


@contextmanager
def emulator_with(
    workdir: Path, *args: str, clients: tuple[dict, ...] = ()
) -> Iterator[AccessService]:
    """A started emulator with command-line `args` and, when given, extra `clients` in its demo
    data: each a dict over the first demo client's fields, with a plain `secret` that is
    hashed as the data file wants. Stopped on leaving."""
    if clients:
        data = json.loads(DEMO_DATA.read_text())
        for extra in clients:
            fields = {key: value for key, value in extra.items() if key != "secret"}
            fields["client_secret_hash"] = generate_password_hash(extra["secret"])
            data["clients"].append({**data["clients"][0], **fields})
        (workdir / "data.json").write_text(json.dumps(data))
        args = (*args, "--data", str(workdir / "data.json"))
    service = AccessService(workdir, args=list(args)).start()
    try:
        yield service
    finally:
        service.stop()
