"""The account pages against the real emulator: reading, editing (with a refusal shown beside its
field), email notifications, connected applications, what a 403 and an outage look like."""

from __future__ import annotations

import dataclasses
import logging
import re

import pytest

from app.account.details import FIELDS
from tests.support.emulator import approve_client
from tests.support.pages import page_csrf_token

ALEX = "alex.originator@xy-company.com"


@pytest.fixture()
def signed_in(auth, client):
    auth.login()
    return client


@pytest.fixture()
def restore_alex(signed_in):
    """Put alex's details and email choice back as the emulator's data has them."""
    yield
    token = page_csrf_token(signed_in, "/account")
    details = {
        "firstName": "Alex",
        "lastName": "Originator",
        "otherName": "",
        "mobileNumber": "+1 234 567 8910",
        "csrf_token": token,
    }
    assert signed_in.post("/account", data=details).status_code == 303
    signed_in.post("/account/notifications", data={"code": "ITEM", "csrf_token": token})


def platform_calls(caplog) -> list[str]:
    return [record.call for record in caplog.records if hasattr(record, "call")]


def test_profile_greets_by_name_once_asked(signed_in, caplog):
    caplog.set_level(logging.INFO, logger="app.cocoon.api")
    html = signed_in.get("/profile").get_data(as_text=True)
    assert re.search(r"<h1[^>]*>Hello, Alex Originator</h1>", html)
    assert "Your role on Cocoon Data: <strong>Originator</strong>" in html
    assert '<details id="raw-authorities">' in html and "PERM_VIEW" in html
    assert platform_calls(caplog) == ["GET /users/me"]
    signed_in.get("/profile")
    assert platform_calls(caplog) == ["GET /users/me"]  # kept in the session


def test_account_shows_the_details_and_saves_all_four(signed_in, restore_alex, access_service):
    html = signed_in.get("/account").get_data(as_text=True)
    assert f'<dd id="account-email">{ALEX}</dd>' in html
    assert 'id="firstName" name="firstName" type="text" value="Alex"' in html
    token = page_csrf_token(signed_in, "/account")
    sent = {
        "firstName": "Alexandra",
        "lastName": "Originator",
        "otherName": "Al",
        "mobileNumber": "+44 7700 900123",
        "csrf_token": token,
    }
    response = signed_in.post("/account", data=sent)
    assert response.status_code == 303 and response.headers["Location"] == "/account?saved=1"
    html = signed_in.get("/account?saved=1").get_data(as_text=True)
    assert "Your change was saved." in html
    assert 'value="Alexandra"' in html and 'value="+44 7700 900123"' in html
    # The profile's greeting follows the change.
    assert "Hello, Alexandra Originator" in signed_in.get("/profile").get_data(as_text=True)


def test_a_refused_change_is_shown_beside_its_field_with_what_was_typed(signed_in, restore_alex):
    token = page_csrf_token(signed_in, "/account")
    sent = {
        "firstName": "Alexa",
        "lastName": "Originator",
        "otherName": "",
        "mobileNumber": "0123 456",
        "csrf_token": token,
    }
    response = signed_in.post("/account", data=sent)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    field = re.search(
        r'<input id="mobileNumber"[^>]*>\s*<p class="field-error" id="mobileNumber-error">([^<]+)',
        html,
    )
    assert field, html
    assert field.group(1).startswith("Mobile number must start with +")
    assert 'aria-invalid="true"' in field.group(0)
    assert 'aria-describedby="mobileNumber-hint mobileNumber-error"' in field.group(0)
    assert 'value="Alexa"' in html and 'value="0123 456"' in html
    # Nothing was saved.
    assert 'value="Alex"' in signed_in.get("/account").get_data(as_text=True)


def test_email_notifications(signed_in, restore_alex):
    html = signed_in.get("/account/notifications").get_data(as_text=True)
    assert "<strong>For each item</strong>" in html
    assert re.search(r'value="ITEM" checked', html)
    token = page_csrf_token(signed_in, "/account/notifications")
    response = signed_in.post("/account/notifications", data={"code": "DAILY", "csrf_token": token})
    assert response.headers["Location"] == "/account/notifications?saved=1"
    html = signed_in.get("/account/notifications").get_data(as_text=True)
    assert "<strong>Daily summary</strong>" in html and re.search(r'value="DAILY" checked', html)
    for code in ("HOURLY", ""):  # not one of the choices, or none chosen: said in words
        refused = signed_in.post("/account/notifications", data={"code": code, "csrf_token": token})
        assert refused.status_code == 400
        problem = re.search(r'<p class="notice bad" id="form-error"[^>]*>([^<]+)', refused.text)
        assert problem and problem.group(1).startswith("Choose how often Cocoon Data"), problem
        assert not re.search(r"\b(code|ITEM|DAILY|WEEKLY)\b", problem.group(1))


# A refusal of each kind the platform gives for the details form: (field, what was typed).
REFUSALS = [
    ("mobileNumber", "0123 456"),
    ("mobileNumber", "+0 123"),
    ("firstName", "A" * 256),
    ("otherName", "B" * 300),
]


@pytest.mark.parametrize(("name", "typed"), REFUSALS)
def test_every_refusal_speaks_of_the_fields_label_and_its_hint(
    signed_in, restore_alex, name, typed
):
    """No platform member name (mobileNumber) in what people read; an example it gives is the
    one the field's hint gives."""
    token = page_csrf_token(signed_in, "/account")
    sent = {"firstName": "Alex", "lastName": "Originator", "otherName": "", "mobileNumber": ""}
    response = signed_in.post("/account", data={**sent, name: typed, "csrf_token": token})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    error = re.search(rf'<p class="field-error" id="{name}-error">([^<]+)', html)
    assert error, html
    message = error.group(1)
    label = next(field[1] for field in FIELDS if field[0] == name)
    assert message.startswith(label), message
    assert not any(re.search(rf"\b{field[0]}\b", message) for field in FIELDS), message
    hint = next(field[4] for field in FIELDS if field[0] == name)
    for example in re.findall(r"\+[\d ]*\d", message):
        assert hint and example in hint, (example, hint)


def test_withdrawing_an_application_asks_first(signed_in, access_service):
    approve_client(access_service.url, ALEX, "password1")
    html = signed_in.get("/account/applications").get_data(as_text=True)
    assert "Example client application that asks for approval" in html
    assert re.search(r"approved on <time datetime=\"\d{4}-\d\d-\d\dT", html)
    approval_id = re.search(r"\?withdraw=(\d+)", html).group(1)
    confirm = signed_in.get(f"/account/applications?withdraw={approval_id}").get_data(as_text=True)
    assert (
        'id="confirm-withdraw"' in confirm and f'name="approval" value="{approval_id}"' in confirm
    )
    token = page_csrf_token(signed_in, "/account/applications")
    response = signed_in.post(
        "/account/applications", data={"approval": approval_id, "csrf_token": token}
    )
    assert response.headers["Location"] == "/account/applications?withdrawn=1"
    html = signed_in.get("/account/applications?withdrawn=1").get_data(as_text=True)
    assert "access was withdrawn" in html and f"withdraw={approval_id}" not in html
    # Again (another tab): it is not there any more.
    again = signed_in.post(
        "/account/applications", data={"approval": approval_id, "csrf_token": token}
    )
    assert again.status_code == 404
    assert signed_in.get("/account/applications?withdraw=1").status_code == 404


def test_a_user_without_the_authority_sees_a_clear_403(auth, client):
    auth.login(username="sam.viewer@xy-company.com", password="password2")
    response = client.get("/account/applications")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "Not permitted for your account" in html and "Traceback" not in html
    token = page_csrf_token(client, "/account")
    sent = {"firstName": "Sam", "lastName": "Viewer", "csrf_token": token}
    assert client.post("/account", data=sent).status_code == 403


def test_the_platform_down_is_a_503_and_the_profile_still_works(signed_in, app):
    signed_in.get("/profile")
    parts = app.extensions["portal"]
    parts.settings = dataclasses.replace(parts.settings, access_service_url="http://127.0.0.1:9")
    for path in ("/account", "/account/notifications", "/account/applications"):
        response = signed_in.get(path)
        assert response.status_code == 503, path
        assert "The platform is unavailable" in response.get_data(as_text=True)
        assert response.headers["Retry-After"]
    assert signed_in.get("/profile").status_code == 200
    assert signed_in.get("/account/sessions").status_code == 200  # needs only Redis


@pytest.mark.parametrize("approval", [".", "..", "%2e%2e", "", "a/..", "x\n", "..;"])
def test_an_approval_that_is_no_path_segment_is_refused_before_any_call(
    signed_in, approval, caplog
):
    """Issue 23, item 4: `approval=.` and `..` made the portal send `DELETE
    /users/me/applications/approvals/` and `DELETE /users/me/applications/`."""
    token = page_csrf_token(signed_in, "/account/applications")
    caplog.set_level(logging.INFO, logger="app.cocoon.api")
    caplog.clear()
    response = signed_in.post(
        "/account/applications", data={"approval": approval, "csrf_token": token}
    )
    assert response.status_code == 404
    assert "no such item" in response.get_data(as_text=True)
    assert platform_calls(caplog) == []
