"""The user API's resources, typed: what `<access-service>/api/v1/users/me...` answers and takes.

Every answer is untrusted input, decoded strictly by msgspec into these Structs (app/cocoon/api.py):
a member of the wrong type, an over-long string or an id with characters no id has makes the
whole answer unusable (UnusableAnswer), never a 500. Members the portal does not read are
ignored, so a platform that adds some does not break it. Member names are the platform's
(camelCase on the wire); sources are the platform's API documentation, "users/me" pages.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec

# Bounds for untrusted strings: generous for people, tight for identifiers.
Text = Annotated[str, msgspec.Meta(max_length=1024)]
Name = Annotated[str, msgspec.Meta(max_length=255)]
# Ids are long numeric strings on the platform ("749419842687528960"); they go into URL paths.
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_]+$")]
# Epoch milliseconds up to the year 9999, for a platform whose Jackson writes dates as numbers.
EpochMillis = Annotated[int, msgspec.Meta(ge=0, le=253_402_300_799_999)]


class Account(msgspec.Struct, rename="camel", frozen=True):
    """`GET /api/v1/users/me`: the signed-in user's account (also `PUT`'s answer).

    Members: `id`, `email` (required), `external_user_id`, `first_name`, `last_name`,
    `other_name`, `mobile_number` (strings or None), `roles` (role codes such as
    `ROLE_ORIGINATOR`), `mfa_enabled`. Errors (app/cocoon/api.py): NotPermitted without
    `PERM_USERINFO_GETSELF` (the emulator's rule), SessionOver, PlatformUnavailable,
    UnusableAnswer.
    """

    id: Id
    email: Text
    external_user_id: Text | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    other_name: Name | None = None
    mobile_number: Name | None = None
    roles: Annotated[list[Code], msgspec.Meta(max_length=100)] = []
    mfa_enabled: bool = False

    @property
    def full_name(self) -> str:
        """First and last name as people write them ('' when the account has neither)."""
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    def details(self) -> AccountDetails:
        """The four members `PUT /users/me` replaces, as they are now."""
        return AccountDetails(self.first_name, self.last_name, self.other_name, self.mobile_number)


class AccountDetails(msgspec.Struct, rename="camel", frozen=True):
    """`PUT /api/v1/users/me`'s body: all four members, always sent, because the platform
    clears a member that is left out (None is sent as null and clears it too).

    `mobile_number` must start with `+` and the country calling code (`+1 234 567 8910`),
    else Rejected (400) naming `mobileNumber`.
    """

    first_name: str | None
    last_name: str | None
    other_name: str | None
    mobile_number: str | None


class Approval(msgspec.Struct, rename="camel", frozen=True):
    """One application the user approved, from `GET /api/v1/users/me/applications/approvals`.

    Members: `id` (for `DELETE .../approvals/{approvalId}`), `client_id`,
    `client_description`, `created_at` (ISO 8601, or epoch milliseconds; see `approved_at`).
    """

    id: Id
    client_id: Text
    client_description: Text | None = None
    created_at: datetime | EpochMillis | None = None

    @property
    def approved_at(self) -> datetime | None:
        """When the user approved the client, in UTC (None when the platform does not say)."""
        if isinstance(self.created_at, int):
            return datetime.fromtimestamp(self.created_at / 1000, UTC)
        if self.created_at is not None and self.created_at.tzinfo is None:
            return self.created_at.replace(tzinfo=UTC)  # no offset: the platform's UTC
        return self.created_at


class Approvals(msgspec.Struct, frozen=True):
    """`GET /api/v1/users/me/applications/approvals`: `{"applications": [Approval, ...]}`."""

    applications: Annotated[list[Approval], msgspec.Meta(max_length=1000)]


class NotificationPreference(msgspec.Struct, frozen=True):
    """One choice of how often "shared with you" emails come: `name` (for people), `code`
    (`ITEM`, `DAILY`, `WEEKLY`; older platforms also `none`) and whether it is `selected`."""

    name: Text
    code: Code
    selected: bool = False


class NotificationPreferences(msgspec.Struct, rename="camel", frozen=True):
    """`GET | PUT /api/v1/users/me/notifications/email`: `{"notificationPreferences": [...]}`,
    every choice with the current one selected. `PUT` takes `{"code": ...}` (an unknown code:
    Rejected, 400)."""

    notification_preferences: Annotated[list[NotificationPreference], msgspec.Meta(max_length=100)]


class NotificationChoice(msgspec.Struct, frozen=True):
    """`PUT /api/v1/users/me/notifications/email`'s body: `{"code": "ITEM" | "DAILY" | ...}`."""

    code: str


# The platform's roles in its own words (the documentation's role names for its codes).
ROLE_NAMES = {
    "ROLE_ORIGINATOR": "Originator",
    "ROLE_COLLABORATOR": "Collaborator",
    "ROLE_ADHOC_COLLABORATOR": "Ad hoc",
    "ROLE_USER_ADMIN": "Organisation administrator",
    "ROLE_SYSTEM_ADMIN": "SafeShare administrator",
}


def role_names(codes: list[str]) -> list[str]:
    """Role codes in words, in order; a code the documentation does not name is spelled out
    from itself (`ROLE_VIEWER` -> "Viewer")."""
    return [
        ROLE_NAMES.get(code) or code.removeprefix("ROLE_").replace("_", " ").capitalize()
        for code in codes
    ]
