"""No token or password in what the command-line tools print, but the tokens asked for on stdout:
every `flask --app wsgi cocoon` command, as it succeeds and as it fails, against the real
emulator. (The portal's own log lines: tests/e2e/test_security_http.py.)"""

from __future__ import annotations

import json
import subprocess

import requests

from tests.support.cli import run_cocoon, token_from_stdin
from tests.support.processes import free_port

USER, PASSWORD = "alex.originator@xy-company.com", "password1"
CLIENT = ("exampleClientApplication", "exampleClientApplicationSecret")


def cocoon(base_url: str, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    """`flask --app wsgi cocoon ARGS` in development against base_url, at DEBUG."""
    return run_cocoon(base_url, *args, stdin=stdin, env={"LOG_LEVEL": "DEBUG", **env})


def pieces(secret: str) -> list[str]:
    """The secret and each of its JWT parts long enough to mean something."""
    return [secret, *(part for part in secret.split(".") if len(part) >= 12)]


def test_no_command_prints_a_secret_it_was_not_asked_for(access_service):
    url = access_service.url
    issued = requests.post(
        url + "/api/oauth/token",
        data={"grant_type": "password", "username": USER, "password": PASSWORD},
        auth=CLIENT,
        timeout=10,
    ).json()
    revoked = requests.post(
        url + "/api/oauth/token",
        data={"grant_type": "password", "username": USER, "password": PASSWORD, "scope": ""},
        auth=CLIENT,
        timeout=10,
    ).json()["refresh_token"]
    requests.post(url + "/api/oauth/revoke", data={"token": revoked}, auth=CLIENT, timeout=10)
    invalid = "not-a-refresh-token-" + "x" * 24
    runs = {
        "token": cocoon(url, "token", "--username", USER, COCOON_PASSWORD=PASSWORD),
        "token, access token only, stdin": cocoon(
            url, *token_from_stdin(USER, "--access-token-only"), stdin=PASSWORD + "\n"
        ),
        "token, wrong password": cocoon(
            url, "token", "--username", USER, COCOON_PASSWORD="wrong-pw-123"
        ),
        "refresh": cocoon(url, "refresh", COCOON_REFRESH_TOKEN=issued["refresh_token"]),
        "refresh, stdin": cocoon(
            url, "refresh", "--refresh-token-stdin", stdin=issued["refresh_token"] + "\n"
        ),
        "refresh, invalid token": cocoon(url, "refresh", COCOON_REFRESH_TOKEN=invalid),
        "refresh, revoked token, stdin": cocoon(
            url, "refresh", "--refresh-token-stdin", stdin=revoked + "\n"
        ),
        "refresh, access-service down": cocoon(
            f"http://127.0.0.1:{free_port()}", "refresh", COCOON_REFRESH_TOKEN=invalid
        ),
    }
    failed = [name for name, run in runs.items() if run.returncode != 0]
    assert failed == [
        "token, wrong password",
        "refresh, invalid token",
        "refresh, revoked token, stdin",
        "refresh, access-service down",
    ], {name: runs[name].stderr for name in runs}
    assert "[redacted]" in runs["refresh, invalid token"].stderr  # what Spring quoted back

    printed = [json.loads(runs[name].stdout) for name in ("token", "refresh", "refresh, stdin")]
    tokens = [issued["access_token"], issued["refresh_token"], revoked, invalid]
    tokens += [runs["token, access token only, stdin"].stdout.strip()]
    tokens += [t[key] for t in printed for key in ("access_token", "refresh_token")]
    secrets = [*tokens, PASSWORD, "wrong-pw-123", CLIENT[1]]
    for name, run in runs.items():
        for secret in secrets:
            for piece in pieces(secret):
                assert piece not in run.stderr, f"{name}: a secret on stderr"
        if run.returncode != 0:
            assert run.stdout == "", f"{name}: output on a failure"
    # stdout holds just what was asked for: the token response, or the access token alone.
    assert runs["token, access token only, stdin"].stdout.count("\n") == 1
    for secret in (PASSWORD, CLIENT[1]):
        assert all(secret not in run.stdout for run in runs.values())
