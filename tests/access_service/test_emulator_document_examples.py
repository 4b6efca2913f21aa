"""The platform document's four curl examples, run as real curl commands against the emulator.

Only the host changes (`https://access-service.xy-company.com` becomes the emulator's URL), and the
authorize URLs are quoted: unquoted, a shell would take their `&` for "run in the background".
"""

from __future__ import annotations

import json
import shlex
import subprocess

import pytest

from tests.access_service.helpers import (
    ALEX,
    DOC_REDIRECT,
    EXAMPLE,
    SPRING_TOKEN_KEYS,
    fragment,
    jwt_part,
    query,
)
from tests.support.tools import command

DOC_HOST = "https://access-service.xy-company.com"
AUTHORIZE_CODE = f"""curl '{DOC_HOST}/api/oauth/authorize?response_type=code&client_id=exampleClientApplication&redirect_uri=https%3A%2F%2Fmy-application-url%2Fauthcallback' \\
 -X GET"""  # noqa: E501
TOKEN_FOR_CODE = f"""curl {DOC_HOST}/api/oauth/token \\
 -H 'Authorization: Basic ZXhhbXBsZUNsaWVudEFwcGxpY2F0aW9uOmV4YW1wbGVDbGllbnRBcHBsaWNhdGlvblNlY3JldA==' \\
 -d 'grant_type=authorization_code' \\
 -d 'code=lEQmsFkB02NGPaB3YtaDnA' \\
 -d 'redirect_uri=https://my-application-url/authcallback' \\
 -X POST"""  # noqa: E501
AUTHORIZE_TOKEN = f"""curl '{DOC_HOST}/api/oauth/authorize?response_type=token&client_id=exampleClientApplication&redirect_uri=https%3A%2F%2Fmy-application-url%2Fauthcallback' \\
 -X GET"""  # noqa: E501
PASSWORD = f"""curl {DOC_HOST}/api/oauth/token \\
 -H 'Authorization: Basic ZXhhbXBsZUNsaWVudEFwcGxpY2F0aW9uOmV4YW1wbGVDbGllbnRBcHBsaWNhdGlvblNlY3JldA==' \\
 -d 'grant_type=password' \\
 --data-urlencode 'username=alex.originator@xy-company.com' \\
 --data-urlencode 'password=password1' \\
 -X POST"""  # noqa: E501


@pytest.fixture(autouse=True)
def curl() -> str:
    """curl, which these examples are written for (tools.command)."""
    return command("curl")


def run_curl(command: str, url: str, *extra: str) -> tuple[dict[str, str], str]:
    """Run a documented command against url; the response headers (lower-cased) and body."""
    # A backslash at the end of a line continues the command, as in a shell.
    args = shlex.split(command.replace(DOC_HOST, url).replace("\\\n", " "))
    result = subprocess.run(
        [*args, "--silent", "--include", *extra],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    head, _, body = result.stdout.replace("\r\n", "\n").partition("\n\n")
    status_line, *lines = head.split("\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    headers["status"] = status_line.split()[1]
    return headers, body


def assert_documented_token_response(body: str) -> dict:
    """A token response shaped like the document's example, for the demo user and client: its
    four keys and, as a real 2.4.0 server always writes them, `expires_in` and `scope` (the
    document's example is abridged; `--token-response document` gives only the four)."""
    response = json.loads(body)
    assert list(response) == SPRING_TOKEN_KEYS
    assert response["token_type"] == "bearer"
    claims = jwt_part(response["access_token"], 1)
    assert list(claims) == ["exp", "user_name", "authorities", "jti", "client_id", "scope"]
    assert claims["user_name"] == ALEX[0] and claims["client_id"] == EXAMPLE[0]
    return response


@pytest.mark.parametrize("command", [AUTHORIZE_CODE, AUTHORIZE_TOKEN])
def test_authorize_examples_send_a_new_user_to_sign_in(url, command):
    headers, _ = run_curl(command, url)
    assert headers["status"] == "302"  # Spring Security's LoginUrlAuthenticationEntryPoint
    assert headers["location"].endswith("/login")


def test_authorization_code_examples(url, browser):
    browser.sign_in()
    cookie = f"access_service_session={browser.http.cookies['access_service_session']}"
    headers, _ = run_curl(AUTHORIZE_CODE, url, "--cookie", cookie)
    assert headers["status"] == "303"
    location = headers["location"]
    assert location.startswith(DOC_REDIRECT + "?code=")
    code = query(location)["code"]
    command = TOKEN_FOR_CODE.replace("lEQmsFkB02NGPaB3YtaDnA", code)
    headers, body = run_curl(command, url)
    assert headers["status"] == "200"
    assert headers["cache-control"] == "no-store"
    assert_documented_token_response(body)


def test_implicit_example_returns_the_token_in_the_fragment(url, browser):
    browser.sign_in()
    cookie = f"access_service_session={browser.http.cookies['access_service_session']}"
    headers, _ = run_curl(AUTHORIZE_TOKEN, url, "--cookie", cookie)
    assert headers["status"] == "303"
    values = fragment(headers["location"])
    assert jwt_part(values["access_token"], 1)["user_name"] == ALEX[0]
    assert values["token_type"] == "bearer"


def test_password_example(url):
    headers, body = run_curl(PASSWORD, url)
    assert headers["status"] == "200"
    assert headers["content-type"] == "application/json;charset=UTF-8"  # TokenEndpoint
    assert_documented_token_response(body)
