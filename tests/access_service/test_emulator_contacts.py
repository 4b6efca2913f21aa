"""The user's address book (`/api/v1/users/me/contacts`): list, add, change, remove, as
docs/emulator.md's table says, with Spring Boot's errors for what the API refuses."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.access_service.helpers import ALEX, SAM
from tests.access_service.inprocess import Emulator, demo_data
from tests.access_service.test_emulator_user_api import assert_boot_error

CONTACTS = "/api/v1/users/me/contacts"
ROBIN = {"email": "robin.collaborator@xy-company.com", "firstName": "Robin", "lastName": "Hood"}
KIM = {"email": "kim@example.org", "firstName": "Kim", "lastName": None}


def add(emulator, token, *entries) -> list[dict]:
    response = emulator.api("POST", CONTACTS, token, json={"contacts": list(entries)})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["contacts"]


def test_a_new_book_is_empty(emulator, alex):
    response = emulator.api("GET", CONTACTS, alex)
    assert response.status_code == 200
    assert response.get_json() == {"items": [], "count": 0, "offset": 0}


def test_add_list_change_remove(emulator, alex):
    robin, kim = add(emulator, alex, ROBIN, KIM)
    assert robin == {"id": robin["id"], **ROBIN} and robin["id"].isdigit()
    assert kim["id"] != robin["id"]
    listed = emulator.api("GET", CONTACTS, alex).get_json()
    assert listed == {"items": [robin, kim], "count": 2, "offset": 0}

    changed = emulator.api(
        "PUT", f"{CONTACTS}/{kim['id']}", alex, json={"email": "kim@example.com"}
    )
    assert changed.status_code == 200
    assert changed.get_json() == {
        "id": kim["id"],
        "email": "kim@example.com",
        "firstName": None,  # left out: cleared, as PUT replaces
        "lastName": None,
    }

    assert emulator.api("DELETE", f"{CONTACTS}/{robin['id']}", alex).status_code == 200
    items = emulator.api("GET", CONTACTS, alex).get_json()["items"]
    assert [item["email"] for item in items] == ["kim@example.com"]
    gone = emulator.api("DELETE", f"{CONTACTS}/{robin['id']}", alex)
    assert_boot_error(gone, 404, "Not Found", f"{CONTACTS}/{robin['id']}")


def test_search_limit_and_offset(emulator, alex):
    robin, kim = add(emulator, alex, ROBIN, KIM)
    found = emulator.api("GET", CONTACTS + "?search=ROBIN", alex).get_json()
    assert found == {"items": [robin], "count": 1, "offset": 0}
    assert emulator.api("GET", CONTACTS + "?search=hood", alex).get_json()["items"] == [robin]
    page = emulator.api("GET", CONTACTS + "?limit=1&offset=1", alex).get_json()
    assert page == {"items": [kim], "count": 2, "offset": 1}
    # Past a Java int, and past the 4,300 digits Python reads at all: a 400, not a 500.
    huge = ("offset=2147483648", "offset=" + "9" * 5000, "limit=" + "9" * 5000)
    for query in ("limit=101", "limit=-1", "offset=x", "limit=1.5", *huge):
        refused = emulator.api("GET", f"{CONTACTS}?{query}", alex)
        assert_boot_error(refused, 400, "Bad Request", CONTACTS)
    largest = emulator.api("GET", f"{CONTACTS}?offset=2147483647", alex).get_json()
    assert largest == {"items": [], "count": 2, "offset": 2147483647}


def test_each_user_has_a_book_of_their_own(tmp_path):
    def sam_may_keep_contacts(data):
        sam = next(user for user in data["users"] if user["username"] == SAM[0])
        sam["authorities"] += ["PERM_CONTACTS_LIST", "PERM_CONTACTS_CREATE"]

    emulator = Emulator(
        tmp_path, DATA_FILE=str(demo_data(tmp_path / "data.json", sam_may_keep_contacts))
    )
    alex = emulator.password_grant(ALEX)["access_token"]
    sam = emulator.password_grant(SAM)["access_token"]
    (robin,) = add(emulator, alex, ROBIN)
    assert emulator.api("GET", CONTACTS, sam).get_json() == {"items": [], "count": 0, "offset": 0}
    (kim,) = add(emulator, sam, KIM)
    assert emulator.api("GET", CONTACTS, alex).get_json()["items"] == [robin]
    assert emulator.api("GET", CONTACTS, sam).get_json()["items"] == [kim]
    assert emulator.api("DELETE", f"{CONTACTS}/{kim['id']}", alex).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"contacts": []},
        {"contacts": "robin@example.com"},
        {"contacts": [{"firstName": "No", "lastName": "Email"}]},
        {"contacts": [{"email": "not an address"}]},
        {"contacts": [{"email": "robin@localhost"}]},
        {"contacts": [{"email": 42}]},
        {"contacts": [{"email": "a@b.example", "firstName": ["x"]}]},
        {"contacts": [{"email": "a@b.example", "lastName": "x" * 256}]},
        {"contacts": [ROBIN, {**KIM, "email": ROBIN["email"].upper()}]},  # the same email twice
    ],
)
def test_a_bad_body_is_refused_and_adds_nothing(emulator, alex, body):
    refused = emulator.api("POST", CONTACTS, alex, json=body)
    assert_boot_error(refused, 400, "Bad Request", CONTACTS)
    assert emulator.api("GET", CONTACTS, alex).get_json()["count"] == 0


def test_an_email_already_in_the_book_is_refused(emulator, alex):
    _, kim = add(emulator, alex, ROBIN, KIM)
    again = emulator.api("POST", CONTACTS, alex, json={"contacts": [ROBIN]})
    body = assert_boot_error(again, 400, "Bad Request", CONTACTS)
    assert ROBIN["email"] in body["message"]
    taken = emulator.api("PUT", f"{CONTACTS}/{kim['id']}", alex, json={"email": ROBIN["email"]})
    assert_boot_error(taken, 400, "Bad Request", f"{CONTACTS}/{kim['id']}")
    unknown = emulator.api("PUT", f"{CONTACTS}/1", alex, json={"email": "new@example.org"})
    assert_boot_error(unknown, 404, "Not Found", f"{CONTACTS}/1")


def test_a_body_that_is_not_json_is_415(emulator, alex):
    response = emulator.api("POST", CONTACTS, alex, data="email=robin", content_type="text/plain")
    assert_boot_error(response, 415, "Unsupported Media Type", CONTACTS)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first=st.one_of(st.none(), st.text(max_size=40)),
    last=st.one_of(st.none(), st.text(max_size=40)),
)
def test_names_come_back_as_they_were_sent(emulator, alex, first, last):
    (contact,) = add(
        emulator, alex, {"email": "x@example.org", "firstName": first, "lastName": last}
    )
    assert (contact["firstName"], contact["lastName"]) == (first or None, last or None)
    assert emulator.api("DELETE", f"{CONTACTS}/{contact['id']}", alex).status_code == 200
