"""The token endpoint against a running emulator: the password grant and the error table."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.access_service.helpers import ALEX, APPROVAL, EXAMPLE, SAM, SYSTEM, jwt_part, token

DOC_TOKEN_CLAIMS = ["exp", "user_name", "authorities", "jti", "client_id", "scope"]


def assert_error(response: requests.Response, status: int, error: str, description: str) -> None:
    """The response is the platform's JSON error, uncached; a 401 carries Spring 2.4.0's
    challenge (`DefaultWebResponseExceptionTranslator`), other statuses none."""
    assert response.status_code == status, response.text
    assert response.json() == {"error": error, "error_description": description}
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    if status == 401:
        expected = f'Bearer error="{error}", error_description="{description}"'
        assert response.headers["WWW-Authenticate"] == expected
    else:
        assert "WWW-Authenticate" not in response.headers


def test_password_grant_returns_exactly_the_documented_fields(url):
    response = token(url, grant_type="password", username=ALEX[0], password=ALEX[1])
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    body = response.json()
    assert list(body) == ["access_token", "token_type", "refresh_token", "jti"]
    assert body["token_type"] == "bearer"
    assert uuid.UUID(body["refresh_token"]).version == 4
    assert jwt_part(body["access_token"], 0) == {"alg": "RS256"}
    assert body["access_token"].startswith("eyJhbGciOiJSUzI1NiJ9.")  # byte for byte the doc's
    claims = jwt_part(body["access_token"], 1)
    assert list(claims) == DOC_TOKEN_CLAIMS
    assert claims["jti"] == body["jti"]
    assert claims["user_name"] == ALEX[0]
    assert claims["client_id"] == EXAMPLE[0]
    assert len(claims["authorities"]) == 39 and claims["authorities"][0] == "PERM_FILE_DELETE"
    assert len(claims["scope"]) == 37 and claims["scope"][-1] == "SCOPE_COPY"


def test_password_grant_for_the_second_user_and_the_system_client(url):
    response = token(url, SYSTEM, grant_type="password", username=SAM[0], password=SAM[1])
    claims = jwt_part(response.json()["access_token"], 1)
    assert claims["authorities"] == [
        "ROLE_VIEWER",
        "PERM_VIEW",
        "PERM_DOWNLOAD",
        "PERM_USERINFO_GETSELF",
        "PERM_USERINFO_GET_NOTIFY_PREF",
    ]
    assert claims["client_id"] == SYSTEM[0]
    assert "refresh_token" in response.json()


def test_requested_scope_narrows_and_unknown_scope_is_refused(url):
    narrow = token(
        url,
        grant_type="password",
        username=ALEX[0],
        password=ALEX[1],
        scope="SCOPE_VIEW SCOPE_COPY",
    )
    # A sorted set, as Spring's OAuth2Utils.parseParameterList makes it (a TreeSet).
    assert jwt_part(narrow.json()["access_token"], 1)["scope"] == ["SCOPE_COPY", "SCOPE_VIEW"]
    wrong = token(
        url, grant_type="password", username=ALEX[0], password=ALEX[1], scope="SCOPE_NOPE"
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_scope"
    assert wrong.json()["error_description"] == "Invalid scope: SCOPE_NOPE"


@pytest.mark.parametrize(
    ("auth", "description"),
    [
        (None, "Full authentication is required to access this resource"),
        (("exampleClientApplication", "wrong"), "Bad credentials"),
        (("nobody", "x"), "Bad credentials"),
    ],
)
def test_bad_or_missing_client_credentials(url, auth, description):
    response = requests.post(
        url + "/api/oauth/token",
        auth=auth,
        timeout=10,
        data={"grant_type": "password", "username": ALEX[0], "password": ALEX[1]},
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == (
        f'Basic realm="oauth2/client", error="unauthorized", error_description="{description}"'
    )
    assert response.json() == {"error": "unauthorized", "error_description": description}
    assert response.headers["Cache-Control"] == "no-store"


ERROR_TABLE = [
    # (client, form, status, error, description)
    (
        EXAMPLE,
        {"grant_type": "password", "client_id": APPROVAL[0]},
        401,
        "invalid_client",
        "Given client ID does not match authenticated client",
    ),
    (
        SYSTEM,
        {"grant_type": "authorization_code", "code": "abcdef"},
        401,
        "invalid_client",
        "Unauthorized grant type: authorization_code",
    ),
    (EXAMPLE, {}, 400, "invalid_request", "Missing grant type"),
    (
        EXAMPLE,
        {"grant_type": "implicit"},
        400,
        "invalid_grant",
        "Implicit grant type not supported from token endpoint",
    ),
    (
        EXAMPLE,
        {"grant_type": "magic"},
        400,
        "unsupported_grant_type",
        "Unsupported grant type",
    ),
    (
        EXAMPLE,
        {"grant_type": "authorization_code"},
        400,
        "invalid_request",
        "An authorization code must be supplied.",
    ),
    (
        EXAMPLE,
        {"grant_type": "authorization_code", "code": "zzzzzz"},
        400,
        "invalid_grant",
        "Invalid authorization code: zzzzzz",
    ),
    (
        EXAMPLE,
        {"grant_type": "password", "username": ALEX[0], "password": "nope"},
        400,
        "invalid_grant",
        "Bad credentials",
    ),
    (
        EXAMPLE,
        {"grant_type": "password", "username": "nobody@xy-company.com", "password": "password1"},
        400,
        "invalid_grant",
        "Bad credentials",
    ),
    (
        EXAMPLE,
        {"grant_type": "refresh_token"},
        400,
        "invalid_request",
        "refresh_token parameter not provided",
    ),
    (
        EXAMPLE,
        {"grant_type": "refresh_token", "refresh_token": "no-such-token"},
        400,
        "invalid_grant",
        "Invalid refresh token: no-such-token",
    ),
]


@pytest.mark.parametrize(("client", "form", "status", "error", "description"), ERROR_TABLE)
def test_error_table(url, client, form, status, error, description):
    assert_error(token(url, client, **form), status, error, description)


def test_another_clients_refresh_token_is_refused(url):
    issued = token(url, SYSTEM, grant_type="password", username=SAM[0], password=SAM[1]).json()
    response = token(url, grant_type="refresh_token", refresh_token=issued["refresh_token"])
    assert_error(
        response,
        400,
        "invalid_grant",
        f"Wrong client for this refresh token: {issued['refresh_token']}",
    )


def test_json_body_is_not_read(url):
    response = requests.post(
        url + "/api/oauth/token",
        auth=EXAMPLE,
        timeout=10,
        json={"grant_type": "password", "username": ALEX[0], "password": ALEX[1]},
    )
    assert_error(response, 400, "invalid_request", "Missing grant type")


def test_query_string_parameters_are_read(url):
    response = requests.post(
        url + "/api/oauth/token",
        auth=EXAMPLE,
        timeout=10,
        params={"grant_type": "password", "username": ALEX[0], "password": ALEX[1]},
    )
    assert response.status_code == 200


def test_get_is_405(url):
    response = requests.get(
        url + "/api/oauth/token", auth=EXAMPLE, timeout=10, params={"grant_type": "password"}
    )
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"
    assert response.headers["Allow"] == "POST"


@pytest.mark.parametrize(
    ("scope", "invalid"),
    [
        ("SCOPE_VIEW,SCOPE_COPY", "SCOPE_VIEW,SCOPE_COPY"),  # Spring splits on whitespace only
        ("SCOPE_VIEW  SCOPE_COPY", ""),  # two spaces: an empty scope between them
        ("scope_view", "scope_view"),  # case matters
    ],
)
def test_scopes_spring_does_not_split_are_invalid(url, scope, invalid):
    response = token(url, grant_type="password", username=ALEX[0], password=ALEX[1], scope=scope)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert response.json()["error_description"] == f"Invalid scope: {invalid}"
    assert "WWW-Authenticate" not in response.headers
