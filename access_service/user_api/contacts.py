"""`/api/v1/users/me/contacts` and `/contacts/{contactId}`: the user's address book.

As the platform's API documentation describes it, with the emulator's readings where it is
silent (marked *inferred* in docs/emulator.md):
- GET lists the contacts, `search` keeping those whose email or names contain it, with the
  documented list parameters `limit` (0 to 100, 0: no limit) and `offset`, and the documented
  list answer `{"items": [...], "count": <contacts that match>, "offset": n}`;
- POST `{"contacts": [{"email", "firstName", "lastName"}, ...]}` (email required) adds them all,
  201 `{"contacts": [...]}` with their ids;
- PUT `/{contactId}` `{"email", "firstName", "lastName"}` (email required, a name left out is
  cleared) answers the contact; DELETE `/{contactId}` answers 200;
- 400 (Spring Boot's shape) for a bad body or parameter, an email address already in the book;
  404 for an id not in the caller's book.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from ..contacts import BookFull, ContactTaken
from ..extensions import components
from ..resource_server import requires
from .account import optional_text, signed_in_user
from .boot import BootError, json_body

bp = Blueprint("contacts", __name__, url_prefix="/api/v1/users/me/contacts")

MAX_EMAIL = 254  # RFC 5321's limit on a path, which bounds an address
MAX_LIMIT = 100  # the documented bound of `limit`
INT_MAX = 2**31 - 1  # a Java int, which Spring reads `limit` and `offset` into


@bp.get("")
@requires("PERM_CONTACTS_LIST")
def list_contacts() -> Response:
    """The user's contacts, filtered by `search`, a page of them by `limit` and `offset`."""
    search = request.args.get("search", "")
    limit = _whole_number("limit", 0, MAX_LIMIT)
    offset = _whole_number("offset", 0, None)
    found = components().contacts.find(signed_in_user(), search)
    page = found[offset : offset + limit] if limit else found[offset:]
    return jsonify(items=page, count=len(found), offset=offset)


@bp.post("")
@requires("PERM_CONTACTS_CREATE")
def add_contacts() -> tuple[Response, int]:
    """Add the body's contacts, all or none; 201 with them and their ids."""
    entries = json_body().get("contacts")
    if not isinstance(entries, list) or not entries:
        raise BootError(400, "contacts must be a list of at least one contact")
    checked = [_contact(entry) for entry in entries]
    try:
        added = components().contacts.add(signed_in_user(), checked)
    except ContactTaken as exc:
        raise BootError(400, f"A contact with email {exc} already exists") from None
    except BookFull as exc:
        raise BootError(400, str(exc)) from None
    return jsonify(contacts=added), 201


@bp.put("/<contact_id>")
@requires("PERM_CONTACTS_UPDATE")
def replace_contact(contact_id: str) -> Response:
    """Replace one contact's email and names; the contact."""
    entry = _contact(json_body())
    try:
        contact = components().contacts.replace(signed_in_user(), contact_id, entry)
    except ContactTaken as exc:
        raise BootError(400, f"A contact with email {exc} already exists") from None
    if contact is None:
        raise BootError(404, f"No contact with id {contact_id}")
    return jsonify(contact)


@bp.delete("/<contact_id>")
@requires("PERM_CONTACTS_DELETE")
def remove_contact(contact_id: str) -> tuple[str, int]:
    """Remove one contact."""
    if not components().contacts.remove(signed_in_user(), contact_id):
        raise BootError(404, f"No contact with id {contact_id}")
    return "", 200


def _contact(entry: Any) -> dict[str, str | None]:
    """`{"email", "firstName", "lastName"}` from a body; raises BootError 400."""
    if not isinstance(entry, dict):
        raise BootError(400, "a contact must be a JSON object")
    email = entry.get("email")
    if not isinstance(email, str) or not _is_email(email.strip()):
        raise BootError(400, "email must be an email address, e.g. someone@example.com")
    contact: dict[str, str | None] = {"email": email.strip()}
    for name in ("firstName", "lastName"):
        contact[name] = optional_text(entry, name)
    return contact


def _is_email(value: str) -> bool:
    """One `@` between a local part and a domain with a dot, no spaces, at most MAX_EMAIL."""
    local, at, domain = value.rpartition("@")
    return (
        bool(at and local and "." in domain.strip("."))
        and len(value) <= MAX_EMAIL
        and not any(c.isspace() for c in value)
    )


def _whole_number(name: str, minimum: int, maximum: int | None) -> int:
    """A query parameter that must be a whole number within bounds (absent: minimum)."""
    raw = request.args.get(name, "")
    if not raw:
        return minimum
    if not (raw.isascii() and raw.isdigit()):
        raise BootError(400, f"{name} must be a whole number of at least {minimum}")
    # More digits than an int holds is too large (and Python refuses to read a number of over
    # 4,300 digits at all: a ValueError, not an answer).
    number = int(raw) if len(raw) <= len(str(INT_MAX)) else INT_MAX + 1
    if number < minimum:
        raise BootError(400, f"{name} must be a whole number of at least {minimum}")
    if number > (INT_MAX if maximum is None else maximum):
        raise BootError(400, f"{name} must be at most {INT_MAX if maximum is None else maximum}")
    return number
