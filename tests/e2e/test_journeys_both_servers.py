"""The portal's journeys against both authorization servers: the emulator and the real Spring
Security OAuth2 2.4.0 server of tests/fidelity/spring-server/, with the same clients and users
(tests/support/reference_server.py). Each journey runs once per server.

Against the real server the portal has no revocation URL (the platform has no revocation
endpoint) and signs out through the reference server's GET /logout.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
import requests

from tests.support.agent import SignInAgent
from tests.support.cli import run_cocoon, token_from_stdin
from tests.support.environment import DEMO_CLIENT, portal_environment
from tests.support.processes import Portal, free_port
from tests.support.reference_server import SHORT_ACCESS, SHORT_REFRESH

APPROVAL_CLIENT = ("approvalClientApplication", "approvalClientApplicationSecret")
SAM = ("sam.viewer@xy-company.com", "password2")
MORGAN = ("morgan.twofactor@xy-company.com", "password3")
MORGAN_TOTP = "OSRLNDIIR7LJ7HIMDC66TOIWZYD5Z32V"


@dataclass
class Platform:
    """One authorization server and a way to start portals against it."""

    kind: str
    url: str
    portal: Callable[..., Portal]


@pytest.fixture(scope="module", params=["emulator", "spring"])
def platform(request, redis_server, fidelity_data, e2e_dir) -> Iterator[Platform]:
    """The emulator or the real server, and `portal(client, **settings)`: a portal (one worker)
    for that client, started once per module and server."""
    if request.param == "spring":
        server = request.getfixturevalue("reference_server")
        settings = {"COCOON_REVOCATION_URL": ""}
    else:
        server = request.getfixturevalue("fidelity_emulator")
        settings = {}
    started: dict[tuple, Portal] = {}

    def portal(client: tuple[str, str] = DEMO_CLIENT, **overrides: str) -> Portal:
        key = (client, tuple(sorted(overrides.items())))
        if key not in started:
            environ = portal_environment(
                redis_server.url,
                server.url,
                COCOON_CLIENT_ID=client[0],
                COCOON_CLIENT_SECRET=client[1],
                **{**settings, **overrides},
            )
            # The real server matches the redirect URI's port exactly: a registered one.
            port = fidelity_data.take_port() if request.param == "spring" else free_port()
            workdir = e2e_dir / f"journeys-{request.param}"
            started[key] = Portal(workdir, environ, port=port, workers=1).start()
        return started[key]

    yield Platform(request.param, server.url, portal)
    for server_process in started.values():
        server_process.stop()


def sign_in(portal: Portal, agent: SignInAgent) -> requests.Response:
    """The portal's sign-in through the server's pages, in the agent's browser (one cookie jar
    for both, as a browser has); the portal's answer to the callback."""
    login = agent.http.get(portal.url + "/login", allow_redirects=False, timeout=15)
    assert login.status_code == 302, login.status_code
    callback = agent.authorize(login.headers["Location"])
    return agent.http.get(callback, allow_redirects=False, timeout=15)


def profile(portal: Portal, agent: SignInAgent) -> requests.Response:
    return agent.http.get(portal.url + "/profile", allow_redirects=False, timeout=15)


def test_sign_in_refresh_when_the_token_runs_out_and_sign_out(platform):
    portal = platform.portal((SHORT_ACCESS.client_id, SHORT_ACCESS.secret))
    agent = SignInAgent()
    assert sign_in(portal, agent).status_code == 302
    page = profile(portal, agent)
    assert page.status_code == 200
    assert "alex.originator@xy-company.com" in page.text

    time.sleep(SHORT_ACCESS.access_token_validity + 0.5)
    page = profile(portal, agent)
    assert page.status_code == 200, page.text[:300]
    portal.logs_once('"event":"token_refreshed"')

    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    out = agent.http.post(portal.url + "/logout", data={"csrf_token": csrf}, timeout=15)
    assert out.status_code == 200
    assert out.url.startswith(portal.url + "/signed-out")
    assert profile(portal, agent).status_code == 302
    # The server's own sign-in ended too: its sign-in page comes before any code.
    query = urlencode(
        {
            "response_type": "code",
            "client_id": SHORT_ACCESS.client_id,
            "redirect_uri": portal.url + "/authcallback",
        }
    )
    again = agent.http.get(f"{platform.url}/api/oauth/authorize?{query}", allow_redirects=False)
    assert again.status_code == 302
    assert again.headers["Location"].endswith("/login")


def test_sign_in_through_the_approval_page(platform):
    portal = platform.portal(APPROVAL_CLIENT)
    # morgan has no token of this client yet, so both servers show the page (Spring's
    # TokenApprovalStore would not while one lives); the emulator asks morgan for a code too.
    agent = SignInAgent(*MORGAN, totp_secret=MORGAN_TOTP)
    assert sign_in(portal, agent).status_code == 302
    assert any("user_oauth_approval" in page.text for page in agent.pages)
    assert profile(portal, agent).status_code == 200


def test_denied_approval_shows_a_clear_page(platform):
    portal = platform.portal(APPROVAL_CLIENT)
    agent = SignInAgent(*SAM, approve=False)
    answer = sign_in(portal, agent)
    assert answer.status_code == 403
    assert "Sign-in cancelled" in answer.text
    assert profile(portal, agent).status_code == 302


def test_an_expired_refresh_token_sends_to_sign_in(platform):
    portal = platform.portal((SHORT_REFRESH.client_id, SHORT_REFRESH.secret))
    agent = SignInAgent(*SAM)
    assert sign_in(portal, agent).status_code == 302
    time.sleep(SHORT_REFRESH.refresh_token_validity + 0.5)
    page = profile(portal, agent)
    assert page.status_code == 302
    assert page.headers["Location"] == "/login?next=%2Fprofile"


def test_a_wrong_client_secret_is_the_operators_problem(platform):
    portal = platform.portal((DEMO_CLIENT[0], "not-the-secret"))
    agent = SignInAgent()
    answer = sign_in(portal, agent)
    assert answer.status_code == 502, answer.text[:300]
    assert "Please sign in again" not in answer.text
    logs = portal.logs_once('"level":"ERROR"')
    errors = [json.loads(line) for line in logs.splitlines() if '"level":"ERROR"' in line]
    assert any(
        "COCOON_CLIENT_ID" in line["message"] and "COCOON_CLIENT_SECRET" in line["message"]
        for line in errors
    ), errors
    assert "not-the-secret" not in logs


def test_the_command_line_gets_refreshes_and_reads_the_account(platform):
    token = run_cocoon(
        platform.url, *token_from_stdin("alex.originator@xy-company.com"), stdin="password1\n"
    )
    assert token.returncode == 0, token.stderr
    tokens = json.loads(token.stdout)
    refreshed = run_cocoon(
        platform.url, "refresh", "--refresh-token-stdin", stdin=tokens["refresh_token"] + "\n"
    )
    assert refreshed.returncode == 0, refreshed.stderr
    assert json.loads(refreshed.stdout)["access_token"]
    me = run_cocoon(
        platform.url,
        "me",
        "--username",
        "alex.originator@xy-company.com",
        "--password-stdin",
        stdin="password1\n",
    )
    assert me.returncode == 0, me.stderr
    assert json.loads(me.stdout)["email"] == "alex.originator@xy-company.com"
