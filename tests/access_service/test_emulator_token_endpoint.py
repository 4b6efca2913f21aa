"""The token endpoint against a running emulator: the password grant and the error table."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.access_service.helpers import (
    ALEX,
    APPROVAL,
    EXAMPLE,
    SAM,
    SYSTEM,
    assert_boot_error,
    assert_client_authentication_failed,
    basic,
    jwt_part,
    token,
)

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


def test_password_grant_answers_as_spring_2_4_0_serializes_a_token(url):
    response = token(url, grant_type="password", username=ALEX[0], password=ALEX[1])
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    assert "Expires" not in response.headers  # the endpoint set its own: no Security default
    body = response.json()
    # `OAuth2AccessTokenJackson2Serializer`'s order, then the additional information (jti).
    assert list(body) == [
        "access_token",
        "token_type",
        "refresh_token",
        "expires_in",
        "scope",
        "jti",
    ]
    assert 43_190 <= body["expires_in"] <= 43_200
    assert body["scope"] == " ".join(jwt_part(body["access_token"], 1)["scope"])
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


ALEX_PASSWORD = {"grant_type": "password", "username": ALEX[0], "password": ALEX[1]}
# Every way of not authenticating the client that Spring Security's Basic filter refuses.
CLIENT_AUTHENTICATION_FAILURES = {
    "no credentials": {},
    "wrong secret": {"auth": (EXAMPLE[0], "wrong")},
    "unknown client": {"auth": ("nobody", "x")},
    "empty user": {"headers": {"Authorization": basic("", EXAMPLE[1])}},
    "not base64": {"headers": {"Authorization": "Basic %%%not-base64%%%"}},
    "no colon": {"headers": {"Authorization": "Basic ZXhhbXBsZUNsaWVudEFwcGxpY2F0aW9u"}},
    "Bearer in place of Basic": {"headers": {"Authorization": "Bearer " + EXAMPLE[1]}},
    "client_secret in the form": {
        "data": {"client_id": EXAMPLE[0], "client_secret": EXAMPLE[1]},
    },
}


@pytest.mark.parametrize("path", ["/api/oauth/token", "/api/oauth/check_token"])
@pytest.mark.parametrize(
    "request_options",
    CLIENT_AUTHENTICATION_FAILURES.values(),
    ids=CLIENT_AUTHENTICATION_FAILURES.keys(),
)
def test_a_client_authentication_failure_is_spring_securitys_401(url, path, request_options):
    options = dict(request_options)
    data = {**ALEX_PASSWORD, "token": "x", **options.pop("data", {})}
    response = requests.post(url + path, data=data, timeout=10, **options)
    assert_client_authentication_failed(response, path)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("path", ["/api/oauth/token", "/api/oauth/check_token"])
def test_the_filter_answers_before_any_405(url, method, path):
    response = requests.request(method, url + path, params={"grant_type": "password"}, timeout=10)
    assert_client_authentication_failed(response, path)


def test_a_failed_client_authentication_is_not_a_token_request_refused(url):
    """The 401 body is Spring Boot's, never an OAuth error a client could read as the user's."""
    response = requests.post(url + "/api/oauth/token", data=ALEX_PASSWORD, timeout=10)
    assert "error_description" not in response.json()
    assert "error=" not in response.headers["WWW-Authenticate"]


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
        "invalid_grant",
        "Invalid refresh token: null",  # 2.4.0 has no check of its own for a missing one
    ),
    (
        EXAMPLE,
        {"grant_type": "client_credentials"},
        401,
        "invalid_client",
        "Unauthorized grant type: client_credentials",  # 2.4.0 always has that granter
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


def test_get_from_an_authenticated_client_is_the_endpoints_405(url):
    """`TokenEndpoint.getAccessToken` refuses GET itself: an OAuth body, no-store."""
    response = requests.get(
        url + "/api/oauth/token", auth=EXAMPLE, timeout=10, params={"grant_type": "password"}
    )
    assert_error(response, 405, "method_not_allowed", "Request method 'GET' not supported")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/api/oauth/token", "GET, POST"),
        ("DELETE", "/api/oauth/token", "GET, POST"),
        ("GET", "/api/oauth/check_token", "POST"),
    ],
)
def test_an_unmapped_method_is_spring_boots_405(url, method, path, allow):
    response = requests.request(method, url + path, auth=EXAMPLE, timeout=10)
    assert_boot_error(response, 405, "Method Not Allowed", path)
    assert response.headers["Allow"] == allow


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
