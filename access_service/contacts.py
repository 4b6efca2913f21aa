"""The users' address books (`/api/v1/users/me/contacts`), kept in the store, one record a user.

A contact is `{"id", "email", "firstName", "lastName"}` (names are strings or null), `id` a long
numeric string as the platform's ids are. Within one book an email address (compared without
regard to case) names at most one contact. The book starts empty and lives in the store, so
every worker, and a restart with Redis, sees the same.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from .data import User
from .store import Store

Contact = dict[str, Any]
# At most this many contacts in one book: the emulator's bound, not the platform's.
MAX_CONTACTS = 1000


class ContactTaken(ValueError):
    """An email address that another contact of the book already has."""


class BookFull(ValueError):
    """More contacts than MAX_CONTACTS."""


def _new_id() -> str:
    """A long numeric string, as the platform's ids are."""
    return str(10**17 + secrets.randbelow(9 * 10**17))


class Contacts:
    """List, add, change and remove the contacts of a user's address book."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def find(self, user: User, search: str = "") -> list[Contact]:
        """The user's contacts in the order they were added; with `search`, only those whose
        email, first or last name contains it (without regard to case)."""
        book = self._book(user)
        needle = search.casefold()
        return [
            contact
            for contact in book.values()
            if not needle
            or any(
                needle in (contact[m] or "").casefold() for m in ("email", "firstName", "lastName")
            )
        ]

    def add(self, user: User, entries: list[Contact]) -> list[Contact]:
        """Add every entry (`email`, `firstName`, `lastName`) at once; the new contacts with
        their ids. Raises ContactTaken (an email already in the book, or twice in entries) or
        BookFull, and then adds none."""
        added: list[Contact] = []

        def change(book: dict[str, Contact]) -> None:
            added.clear()  # a retried transaction starts again
            emails = {c["email"].casefold() for c in book.values()}
            for entry in entries:
                if entry["email"].casefold() in emails:
                    raise ContactTaken(entry["email"])
                emails.add(entry["email"].casefold())
                added.append({"id": _new_id(), **entry})
            if len(book) + len(added) > MAX_CONTACTS:
                raise BookFull(f"an address book holds at most {MAX_CONTACTS} contacts")
            book.update((contact["id"], contact) for contact in added)

        self._update(user, change)
        return added

    def replace(self, user: User, contact_id: str, entry: Contact) -> Contact | None:
        """Replace a contact's email and names (a name left out becomes null); the contact, or
        None when the book has no such id. Raises ContactTaken."""
        replaced: list[Contact] = []

        def change(book: dict[str, Contact]) -> None:
            replaced.clear()
            if contact_id not in book:
                return
            for other in book.values():
                if (
                    other["id"] != contact_id
                    and other["email"].casefold() == entry["email"].casefold()
                ):
                    raise ContactTaken(entry["email"])
            book[contact_id] = {"id": contact_id, **entry}
            replaced.append(book[contact_id])

        self._update(user, change)
        return replaced[0] if replaced else None

    def remove(self, user: User, contact_id: str) -> bool:
        """Remove a contact; False when the book has no such id."""
        removed: list[Contact] = []

        def change(book: dict[str, Contact]) -> None:
            removed.clear()
            if contact_id in book:
                removed.append(book.pop(contact_id))

        self._update(user, change)
        return bool(removed)

    def _book(self, user: User) -> dict[str, Contact]:
        """The user's contacts by id, in the order they were added."""
        return (self.store.get(self._key(user)) or {}).get("contacts", {})

    def _update(self, user: User, change: Callable[[dict[str, Contact]], None]) -> None:
        """Apply change to the user's book atomically (across workers)."""

        def apply(record: dict[str, Any] | None) -> dict[str, Any]:
            book = dict((record or {}).get("contacts", {}))
            change(book)
            return {"contacts": book}

        self.store.update(self._key(user), apply, None)

    @staticmethod
    def _key(user: User) -> str:
        """Where the user's book lives (by the user's id, as their account's state does)."""
        return f"contacts:{user.id or user.username}"
