"""The user API (`/api/v1`): each endpoint's success, and every row of the error table."""

from __future__ import annotations

import pytest

from tests.access_service.helpers import ALEX, EXAMPLE, SAM, query
from tests.access_service.inprocess import basic

ME = "/api/v1/users/me"
EMAIL = "/api/v1/users/me/notifications/email"
APPROVALS = "/api/v1/users/me/applications/approvals"
CONTACTS = "/api/v1/users/me/contacts"
FULL_AUTH = "Full authentication is required to access this resource"

# The authority table of docs/emulator.md: endpoint -> authority (None: any token).
AUTHORITIES = [
    ("GET", "/api/v1", None),
    ("GET", ME, "PERM_USERINFO_GETSELF"),
    ("PUT", ME, "PERM_USERINFO_UPDATE"),
    ("PUT", ME + "/expire", "PERM_SELF_REVOKE_TOKENS"),
    ("GET", APPROVALS, "PERM_APP_APPROVAL_LIST"),
    ("DELETE", APPROVALS + "/123", "PERM_APP_APPROVAL_REVOKE"),
    ("GET", EMAIL, "PERM_USERINFO_GET_NOTIFY_PREF"),
    ("PUT", EMAIL, "PERM_USERINFO_EDIT_NOTIFY_PREF"),
    ("GET", CONTACTS, "PERM_CONTACTS_LIST"),
    ("POST", CONTACTS, "PERM_CONTACTS_CREATE"),
    ("PUT", CONTACTS + "/123", "PERM_CONTACTS_UPDATE"),
    ("DELETE", CONTACTS + "/123", "PERM_CONTACTS_DELETE"),
]


def assert_unauthorized(response, error: str, description: str) -> None:
    """401 with the resource server's body and challenge, uncached."""
    assert response.status_code == 401
    assert response.get_json() == {"error": error, "error_description": description}
    assert response.headers["WWW-Authenticate"] == (
        f'Bearer realm="oauth2-resource", error="{error}", error_description="{description}"'
    )
    assert response.headers["Cache-Control"] == "no-store"


def assert_boot_error(response, status: int, error: str, path: str) -> dict:
    """Spring Boot's error body."""
    assert response.status_code == status
    body = response.get_json()
    assert list(body) == ["timestamp", "status", "error", "message", "path"]
    assert (body["status"], body["error"], body["path"]) == (status, error, path)
    assert body["timestamp"] == "2023-11-14T22:13:20.000+00:00"  # the test clock, as Boot writes
    return body


def test_get_account(emulator, alex):
    response = emulator.api("GET", ME, alex)
    assert response.status_code == 200
    assert response.get_json() == {
        "id": "749419842687528960",
        "externalUserId": None,
        "email": ALEX[0],
        "firstName": "Alex",
        "lastName": "Originator",
        "otherName": None,
        "mobileNumber": "+1 234 567 8910",
        "roles": ["ROLE_ORIGINATOR"],
        "mfaEnabled": False,
    }


def test_put_account_replaces_all_four_details(emulator, alex):
    response = emulator.api("PUT", ME, alex, json={"firstName": "Alexandra", "otherName": "Al"})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["firstName"], body["otherName"]) == ("Alexandra", "Al")
    assert body["lastName"] is None and body["mobileNumber"] is None  # left out: cleared
    assert body["email"] == ALEX[0]  # not changeable here
    assert emulator.api("GET", ME, alex).get_json() == body
    again = emulator.api("PUT", ME, alex, json={"mobileNumber": "+44 20 7946 0958"})
    assert again.get_json()["mobileNumber"] == "+44 20 7946 0958"
    assert again.get_json()["firstName"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"mobileNumber": "0412 345 678"},  # no + and country code
        {"mobileNumber": "+0 123 456 789"},  # no country code starts with 0
        {"mobileNumber": "+1 23"},  # too short
        {"mobileNumber": "+1 234 567 8910 1234 5678"},  # more than 15 digits
        {"mobileNumber": "+1  234 567 891"},  # two spaces in a row
        {"mobileNumber": "+1-234-567-8910"},
        {"firstName": 42},
        {"lastName": "x" * 256},
    ],
)
def test_put_account_refuses_a_bad_body_with_400(emulator, alex, body):
    before = emulator.api("GET", ME, alex).get_json()
    response = emulator.api("PUT", ME, alex, json=body)
    assert_boot_error(response, 400, "Bad Request", ME)
    assert emulator.api("GET", ME, alex).get_json() == before


def test_put_account_needs_a_json_object(emulator, alex):
    form = emulator.api("PUT", ME, alex, data={"firstName": "x"})
    assert_boot_error(form, 415, "Unsupported Media Type", ME)
    array = emulator.api("PUT", ME, alex, json=["x"])
    assert_boot_error(array, 400, "Bad Request", ME)


def test_notifications_get_and_put(emulator, alex):
    response = emulator.api("GET", EMAIL, alex)
    assert response.status_code == 200
    choices = response.get_json()["notificationPreferences"]
    assert [c["code"] for c in choices] == ["ITEM", "DAILY", "WEEKLY"]
    assert [c["code"] for c in choices if c["selected"]] == ["ITEM"]
    assert all(isinstance(c["name"], str) and c["name"] for c in choices)
    changed = emulator.api("PUT", EMAIL, alex, json={"code": "WEEKLY"})
    assert changed.status_code == 200
    selected = [c["code"] for c in changed.get_json()["notificationPreferences"] if c["selected"]]
    assert selected == ["WEEKLY"]
    assert emulator.api("GET", EMAIL, alex).get_json() == changed.get_json()


@pytest.mark.parametrize("body", [{"code": "NONE"}, {"code": "daily"}, {}, {"code": 1}])
def test_notifications_refuse_an_unknown_code(emulator, alex, body):
    assert_boot_error(emulator.api("PUT", EMAIL, alex, json=body), 400, "Bad Request", EMAIL)


def test_state_is_per_user(emulator, alex):
    sam = emulator.password_grant(SAM)["access_token"]
    emulator.api("PUT", EMAIL, alex, json={"code": "DAILY"})
    sams = emulator.api("GET", EMAIL, sam).get_json()["notificationPreferences"]
    assert [c["code"] for c in sams if c["selected"]] == ["WEEKLY"]  # sam's own, untouched


def test_discovery_lists_every_endpoint(emulator, alex):
    response = emulator.api("GET", "/api/v1", alex)
    assert response.status_code == 200
    body = response.get_json()
    assert body["contentServiceURL"].startswith("https://")
    assert body["webappServiceURL"].startswith("https://")
    listed = {(s["httpMethod"], s["link"]) for s in body["services"]}
    base = "http://localhost"
    for method, path, _ in AUTHORITIES:
        path = path.replace("approvals/123", "approvals/{approvalId}")
        path = path.replace("contacts/123", "contacts/{contactId}")
        assert (method, base + path) in listed
    assert ("GET", base + "/api/v1/config") in listed
    assert all(s["name"] and " " not in s["name"] for s in body["services"])


def test_config_needs_no_token_but_checks_one_that_is_sent(emulator):
    response = emulator.api("GET", "/api/v1/config")
    assert response.status_code == 200
    assert isinstance(response.get_json()["content.service.url"], str)
    assert response.get_json()["document.viewer.enabled"] is False
    forged = emulator.api("GET", "/api/v1/config", "not-a-token")
    assert_unauthorized(forged, "invalid_token", "Invalid access token: not-a-token")


@pytest.mark.parametrize(("method", "path", "authority"), AUTHORITIES)
def test_every_endpoint_needs_a_token(emulator, method, path, authority):
    assert_unauthorized(emulator.api(method, path), "unauthorized", FULL_AUTH)
    basic = emulator.api(method, path, headers={"Authorization": "Basic YTpi"})
    assert_unauthorized(basic, "unauthorized", FULL_AUTH)  # malformed: no bearer token


@pytest.mark.parametrize(("method", "path", "authority"), AUTHORITIES)
def test_each_endpoint_needs_its_authority(emulator, method, path, authority):
    """The view declares the table's authority; a user without it gets 403, one with it not."""
    adapter = emulator.app.url_map.bind("localhost")
    endpoint, _ = adapter.match(path, method=method)
    assert emulator.app.view_functions[endpoint].required_authority == authority
    sam_has = authority is None or authority in emulator.services.directory.user(SAM[0]).authorities
    sam = emulator.api(method, path, emulator.password_grant(SAM)["access_token"], json={})
    if sam_has:
        assert sam.status_code != 403
    else:
        assert sam.status_code == 403
        assert sam.get_json() == {"error": "access_denied", "error_description": "Access is denied"}
        assert "WWW-Authenticate" not in sam.headers
    alex = emulator.api(method, path, emulator.password_grant(ALEX)["access_token"], json={})
    assert alex.status_code != 403


def test_sam_may_read_but_not_change(emulator):
    sam = emulator.password_grant(SAM)["access_token"]
    assert emulator.api("GET", ME, sam).status_code == 200
    assert emulator.api("GET", EMAIL, sam).status_code == 200
    assert emulator.api("GET", "/api/v1", sam).status_code == 200
    for method, path in [("PUT", ME), ("PUT", EMAIL), ("GET", APPROVALS), ("PUT", ME + "/expire")]:
        assert emulator.api(method, path, sam, json={}).status_code == 403, (method, path)


def test_forged_expired_and_revoked_tokens_are_refused(emulator, alex):
    header, payload, signature = alex.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    assert_unauthorized(
        emulator.api("GET", ME, forged), "invalid_token", f"Invalid access token: {forged}"
    )
    emulator.clock.advance(43_200)
    expired = emulator.api("GET", ME, alex)
    assert_unauthorized(expired, "invalid_token", f"Access token expired: {alex}")
    emulator.clock.advance(-43_200)
    issued = emulator.password_grant(ALEX)
    revoked = emulator.app.test_client().post(
        "/api/oauth/revoke",
        data={"token": issued["refresh_token"]},
        headers=basic(EXAMPLE),
    )
    assert revoked.status_code == 200
    token = issued["access_token"]
    assert_unauthorized(
        emulator.api("GET", ME, token), "invalid_token", f"Invalid access token: {token}"
    )
    assert emulator.api("GET", ME, alex).status_code == 200  # another sign-in's token lives on


def test_access_token_parameter_is_read_too(emulator, alex):
    assert emulator.api("GET", ME, query_string={"access_token": alex}).status_code == 200


def test_unknown_paths_and_methods_in_boot_shape_after_the_token_check(emulator, alex):
    assert_unauthorized(emulator.api("GET", "/api/v1/nope"), "unauthorized", FULL_AUTH)
    body = assert_boot_error(
        emulator.api("GET", "/api/v1/nope", alex), 404, "Not Found", "/api/v1/nope"
    )
    assert body["message"]
    not_allowed = emulator.api("POST", ME, alex)
    assert assert_boot_error(not_allowed, 405, "Method Not Allowed", ME)["message"] == (
        "Request method 'POST' not supported"
    )


def test_expire_ends_every_refresh_token_but_not_access_tokens(emulator):
    first = emulator.password_grant(ALEX)
    second = emulator.password_grant(ALEX)
    response = emulator.api("PUT", ME + "/expire", first["access_token"])
    assert response.status_code == 200
    for issued in (first, second):
        refused = emulator.refresh(issued["refresh_token"])
        assert refused.status_code == 400
        assert refused.get_json() == {
            "error": "invalid_grant",
            "error_description": f"Invalid refresh token: {issued['refresh_token']}",
        }
        assert emulator.api("GET", ME, issued["access_token"]).status_code == 200  # until exp
    later = emulator.password_grant(ALEX)  # a new sign-in works as before
    assert emulator.refresh(later["refresh_token"]).status_code == 200


def test_expire_leaves_every_browsers_sign_in_here_as_the_platform_does(emulator):
    """`PUT /users/me/expire` ends refresh tokens, not anyone's sign-in at the access-service
    (the platform's document lists no other effect, and its web sign-in survives it): a
    browser signed in here gets a new code without a password, and that code's tokens work."""
    browser = emulator.browser()
    emulator.sign_in(browser)
    before = emulator.password_grant(ALEX)
    assert emulator.api("PUT", ME + "/expire", before["access_token"]).status_code == 200
    params = {
        "response_type": "code",
        "client_id": "exampleClientApplication",
        "redirect_uri": "http://localhost:5000/authcallback",
    }
    response = browser.get("/api/oauth/authorize", query_string=params)
    assert response.status_code == 303  # straight back with a code: no sign-in page
    code = query(response.location)["code"]
    tokens = emulator.token(
        grant_type="authorization_code", code=code, redirect_uri=params["redirect_uri"]
    ).get_json()
    assert emulator.refresh(tokens["refresh_token"]).status_code == 200
    assert emulator.refresh(before["refresh_token"]).status_code == 400
