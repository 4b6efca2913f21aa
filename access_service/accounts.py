"""The account details and preferences a user changes through the user API, kept in the store.

A user's record is seeded from the data file the first time it is read, then lives in the store
(so every worker, and a restart with Redis, sees the same). Shapes are the platform's:
`{"id", "externalUserId", "email", "firstName", "lastName", "otherName", "mobileNumber", "roles",
"mfaEnabled"}` for `users/me`; email notifications are `ITEM`, `DAILY` or `WEEKLY`.
"""

from __future__ import annotations

from typing import Any

from .data import User
from .store import Store

DETAILS = ("firstName", "lastName", "otherName", "mobileNumber")
NOTIFICATION_CHOICES = {
    "ITEM": "For each item",
    "DAILY": "Daily summary",
    "WEEKLY": "Weekly summary",
}


class Accounts:
    """Read and change users' account details and email notification choice."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def account(self, user: User) -> dict[str, Any]:
        """The user's account as `GET /api/v1/users/me` shows it."""
        state = self._state(user)
        return {
            "id": user.id,
            "externalUserId": user.external_user_id,
            "email": user.username,
            **{name: state[name] for name in DETAILS},
            "roles": [a for a in user.authorities if a.startswith("ROLE_")],
            "mfaEnabled": user.mfa_enabled,
        }

    def replace_details(self, user: User, details: dict[str, str | None]) -> dict[str, Any]:
        """Set all four details at once (a missing one becomes None); the updated account."""
        self.store.update(
            self._key(user),
            lambda state: {**self._seed(user, state), **{n: details.get(n) for n in DETAILS}},
            None,
        )
        return self.account(user)

    def email_notifications(self, user: User) -> str:
        """The user's choice: ITEM, DAILY or WEEKLY."""
        return self._state(user)["emailNotifications"]

    def choose_email_notifications(self, user: User, code: str) -> None:
        """Change the user's choice (code must be one of NOTIFICATION_CHOICES)."""
        if code not in NOTIFICATION_CHOICES:
            raise ValueError(code)
        self.store.update(
            self._key(user),
            lambda state: {**self._seed(user, state), "emailNotifications": code},
            None,
        )

    def _state(self, user: User) -> dict[str, Any]:
        """The stored state, or the data file's values for a user never changed."""
        return self._seed(user, self.store.get(self._key(user)))

    @staticmethod
    def _seed(user: User, state: dict[str, Any] | None) -> dict[str, Any]:
        """state, or the values the data file gives the user."""
        return state or {
            "firstName": user.first_name,
            "lastName": user.last_name,
            "otherName": user.other_name,
            "mobileNumber": user.mobile_number,
            "emailNotifications": user.email_notifications,
        }

    @staticmethod
    def _key(user: User) -> str:
        """Where the user's state lives (by the user's id, so a renamed email keeps it)."""
        return f"account:{user.id or user.username}"
