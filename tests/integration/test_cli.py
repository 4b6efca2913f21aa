"""`flask --app wsgi cocoon token|refresh`, run as a real subprocess against the real emulator."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.support.cli import run_cocoon, token_from_stdin
from tests.support.emulator import emulator_with
from tests.support.processes import AccessService, free_port

# Against both of the emulator's token response shapes (tests/conftest.py).
pytestmark = pytest.mark.both_token_responses

USER = "alex.originator@xy-company.com"
PASSWORD = "password1"
CLIENT = ("exampleClientApplication", "exampleClientApplicationSecret")
SYSTEM_CLIENT = ("systemServiceClient", "systemServiceClientSecret")
BROWSER_ONLY_CLIENT = ("browserOnlyClient", "browserOnlyClientSecret")
EURO_CLIENT = ("euroSecretClient", "price€Secret")
ACCESS_TOKEN_FOR_USER = ("token", "--username", USER, "--access-token-only")


def run_cli(base_url: str, *args: str, **options: Any) -> subprocess.CompletedProcess[str]:
    """run_cocoon (tests/support/cli.py), and never a traceback, never the password."""
    result = run_cocoon(base_url, *args, **options)
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert PASSWORD not in output
    return result


def password_grant(base_url: str) -> dict:
    """Tokens straight from the emulator, for the refresh tests."""
    data = {"grant_type": "password", "username": USER, "password": PASSWORD}
    response = requests.post(base_url + "/api/oauth/token", data=data, auth=CLIENT, timeout=10)
    response.raise_for_status()
    return response.json()


def check_token(base_url: str, access_token: str) -> requests.Response:
    """The emulator's opinion of an access token (client-authenticated, as it requires)."""
    url = base_url + "/api/oauth/check_token"
    return requests.post(url, data={"token": access_token}, auth=CLIENT, timeout=10)


@pytest.fixture(scope="module")
def browser_only_access_service(tmp_path_factory) -> Iterator[AccessService]:
    """An emulator whose extra client may not use the password grant."""
    client = {
        "client_id": BROWSER_ONLY_CLIENT[0],
        "secret": BROWSER_ONLY_CLIENT[1],
        "authorized_grant_types": ["authorization_code", "refresh_token"],
    }
    with emulator_with(tmp_path_factory.mktemp("browser-only"), clients=(client,)) as service:
        yield service


def test_token_prints_the_token_response(access_service):
    result = run_cli(
        access_service.url, "token", "--username", USER, env={"COCOON_PASSWORD": PASSWORD}
    )
    assert result.returncode == 0, result.stderr
    tokens = json.loads(result.stdout)
    assert set(tokens) == {"access_token", "token_type", "refresh_token", "jti", "expires_at"}
    assert tokens["token_type"] == "bearer"
    assert tokens["refresh_token"] and tokens["jti"]
    claims = check_token(access_service.url, tokens["access_token"]).json()
    assert claims["active"] is True
    assert claims["user_name"] == USER
    # From `expires_in` (whole seconds, rounded down) when sent, else from `exp` itself.
    assert claims["exp"] - 1 <= tokens["expires_at"] <= claims["exp"]


def test_access_token_only_from_stdin_is_a_usable_bearer(access_service):
    result = run_cli(
        access_service.url, *token_from_stdin(USER, "--access-token-only"), stdin=PASSWORD + "\n"
    )
    assert result.returncode == 0, result.stderr
    access_token = result.stdout.strip()
    assert result.stdout == access_token + "\n"  # nothing else: `$(...)` takes all of stdout
    response = check_token(access_service.url, access_token)
    assert response.status_code == 200
    assert response.json()["active"] is True


def test_password_prompt_goes_to_stderr(access_service):
    result = run_cli(access_service.url, *ACCESS_TOKEN_FOR_USER, stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    assert "Password" in result.stderr
    assert result.stdout.count(".") == 2  # only the JWT


def test_system_client_gets_tokens_with_the_password_grant(access_service):
    result = run_cli(
        access_service.url,
        "token",
        "--username",
        USER,
        client=SYSTEM_CLIENT,
        env={"COCOON_PASSWORD": PASSWORD},
    )
    assert result.returncode == 0, result.stderr
    claims = check_token(access_service.url, json.loads(result.stdout)["access_token"]).json()
    assert claims["client_id"] == SYSTEM_CLIENT[0]


@pytest.mark.parametrize("source", ["stdin", "env"])
def test_refresh(access_service, source):
    refresh_token = password_grant(access_service.url)["refresh_token"]
    if source == "stdin":
        options = {"stdin": refresh_token + "\n"}
        args = ("refresh", "--refresh-token-stdin")
    else:
        options = {"env": {"COCOON_REFRESH_TOKEN": refresh_token}}
        args = ("refresh",)
    result = run_cli(access_service.url, *args, **options)
    assert result.returncode == 0, result.stderr
    tokens = json.loads(result.stdout)
    assert tokens["refresh_token"] == refresh_token  # the demo client reuses refresh tokens
    assert check_token(access_service.url, tokens["access_token"]).json()["active"] is True


@pytest.mark.parametrize(
    "refresh_token", ["nope", "75605643-a194-4bfc-a379-0d0154ab9783", "x" * 300, "é€:/?&="]
)
def test_refused_refresh_token_is_never_echoed(access_service, refresh_token):
    result = run_cli(
        access_service.url,
        "refresh",
        "--access-token-only",
        env={"COCOON_REFRESH_TOKEN": refresh_token},
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: the access-service refused: invalid_grant: ")
    assert refresh_token not in result.stderr  # Spring's description repeats it: redacted
    assert "[redacted]" in result.stderr


def test_refresh_needs_a_token(access_service):
    result = run_cli(access_service.url, "refresh")
    assert result.returncode == 2
    assert "COCOON_REFRESH_TOKEN" in result.stderr


def test_wrong_password(access_service):
    result = run_cli(access_service.url, *token_from_stdin(USER), stdin="not-the-password\n")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == "Error: the access-service refused: invalid_grant: Bad credentials\n"
    assert "not-the-password" not in result.stderr


def test_client_not_allowed_the_password_grant(browser_only_access_service):
    result = run_cli(
        browser_only_access_service.url,
        "token",
        "--username",
        USER,
        client=BROWSER_ONLY_CLIENT,
        env={"COCOON_PASSWORD": PASSWORD},
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "Error: the access-service refused this portal's client: invalid_client: "
        "Unauthorized grant type: password (check COCOON_CLIENT_ID, COCOON_CLIENT_SECRET and "
        "the client's grant types)\n"
    )


@pytest.fixture(scope="module")
def euro_secret_access_service(tmp_path_factory) -> Iterator[AccessService]:
    """An emulator whose extra client has a secret outside latin-1."""
    client = {"client_id": EURO_CLIENT[0], "secret": EURO_CLIENT[1]}
    with emulator_with(tmp_path_factory.mktemp("euro"), clients=(client,)) as service:
        yield service


def test_a_non_ascii_client_secret_works_from_the_command_line(euro_secret_access_service):
    result = run_cli(
        euro_secret_access_service.url,
        "token",
        "--username",
        USER,
        "--access-token-only",
        client=EURO_CLIENT,
        env={"COCOON_PASSWORD": PASSWORD},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(".") == 2  # a JWT


@pytest.mark.parametrize("make_it", ["missing", "uncreatable"])
def test_a_metrics_directory_problem_is_one_line(access_service, tmp_path, make_it):
    path = tmp_path / "not-yet" / "metrics"
    if make_it == "uncreatable":
        (tmp_path / "a-file").write_text("")
        path = tmp_path / "a-file" / "metrics"
    env = {"COCOON_PASSWORD": PASSWORD, "PROMETHEUS_MULTIPROC_DIR": str(path)}
    result = run_cli(access_service.url, *ACCESS_TOKEN_FOR_USER, env=env)
    if make_it == "missing":  # created, as gunicorn's start does
        assert result.returncode == 0, result.stderr
        assert path.is_dir()
    else:
        assert result.returncode != 0
        assert result.stderr.count("\n") == 1
        assert "PROMETHEUS_MULTIPROC_DIR" in result.stderr


def test_unreachable_access_service():
    url = f"http://127.0.0.1:{free_port()}"
    result = run_cli(url, "token", "--username", USER, env={"COCOON_PASSWORD": PASSWORD})
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "unreachable" in result.stderr
    assert url + "/api/oauth/token" in result.stderr


def test_me_prints_the_account_from_the_user_api(access_service):
    result = run_cli(
        access_service.url, "me", "--username", USER, "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert result.returncode == 0, result.stderr
    account = json.loads(result.stdout)
    assert account["email"] == USER and account["firstName"] == "Alex"
    assert "ROLE_ORIGINATOR" in account["roles"]


def test_me_errors_are_one_line(access_service):
    wrong = run_cli(access_service.url, "me", "--username", USER, "--password-stdin", stdin="x\n")
    assert wrong.returncode == 1
    assert "the access-service refused" in wrong.stderr and "Bad credentials" in wrong.stderr
    down = run_cli(
        f"http://127.0.0.1:{free_port()}",
        "me",
        "--username",
        USER,
        stdin="",
        env={"COCOON_PASSWORD": PASSWORD},
    )
    assert down.returncode == 1 and len(down.stderr.strip().splitlines()) == 1, down.stderr
