"""The platform's user API (`<access-service>/api/v1/...`) as one signed-in user (no Flask here).

Each call carries the user's access token (RFC 6750 section 2.1) with the portal's timeouts.
The token comes from a `BearerTokens` source: a signed-in session (app/auth/platform.py) or a
system account (app/cocoon/system_account.py). Whatever the source:
- before a call, a token about to expire is refreshed first (under the source's refresh lock);
- a 401 is answered by renewing the token once and retrying once; a second 401, or a refused
  renewal, is SessionOver (RFC 6750 section 3.1), and nothing was changed;
- 403, 404, 400, 5xx and no answer become the errors of app/cocoon/errors.py, and every answer
  is decoded strictly into the types of app/cocoon/resources.py.
Endpoints and members: the platform's API documentation, "users/me" pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Self, TypeVar, cast

import requests

from app.cocoon.api_http import Call, check_status, decode, send
from app.cocoon.errors import SessionOver, TokenRefused
from app.cocoon.refresh import SessionGone
from app.cocoon.resources import (
    Account,
    AccountDetails,
    Approval,
    Approvals,
    NotificationChoice,
    NotificationPreference,
    NotificationPreferences,
)
from config import Settings

T = TypeVar("T")
ME = "/users/me"


class BearerTokens(Protocol):
    """Where the calls get the user's access token."""

    def access_token(self) -> str:
        """A usable access token, refreshed first when about to expire. Raises TokenRefused
        or SessionGone when the session is over."""

    def renew(self, rejected: str) -> str:
        """A token to retry with after `rejected` got a 401: refreshed now, or another
        request's newer one. Raises TokenRefused or SessionGone."""


@dataclass
class UserApi:
    """The user API at `base_url` (`<access-service>/api/v1`) with `tokens`' access token.

    Every method raises SessionOver, NotPermitted (403), PlatformUnavailable (5xx, 429,
    timeouts, unreachable) or UnusableAnswer; those that take a body also Rejected (400),
    those that name a resource NotFound (404). Timeouts are in seconds.
    """

    base_url: str
    tokens: BearerTokens
    connect_timeout: float
    read_timeout: float
    http: requests.Session = field(default_factory=requests.Session)

    @classmethod
    def from_settings(cls, settings: Settings, tokens: BearerTokens) -> Self:
        """The user API of COCOON_BACKCHANNEL_URL (else COCOON_ACCESS_SERVICE_URL), with
        HTTP_CONNECT/READ_TIMEOUT: an instance of the class it is called on, so a subclass
        (`user_api(MyUserApi)`) gets one of its own."""
        return cls(
            settings.user_api_url,
            tokens,
            settings.http_connect_timeout,
            settings.http_read_timeout,
        )

    def me(self) -> Account:
        """`GET /users/me`: the user's account."""
        return self.call(Call("GET", ME, ME), Account)

    def update_me(self, details: AccountDetails) -> Account:
        """`PUT /users/me` with all four details; the updated account. Rejected names the
        member the platform refused (e.g. `mobileNumber`)."""
        return self.call(Call("PUT", ME, ME, details), Account)

    def expire(self) -> None:
        """`PUT /users/me/expire`: every refresh token of the user stops working."""
        self.call(Call("PUT", ME + "/expire", ME + "/expire"))

    def approvals(self) -> list[Approval]:
        """`GET /users/me/applications/approvals`: the applications the user approved."""
        path = ME + "/applications/approvals"
        return self.call(Call("GET", path, path), Approvals).applications

    def withdraw_approval(self, approval_id: str) -> None:
        """`DELETE /users/me/applications/approvals/{approvalId}`; NotFound for an id that is
        not one of the user's approvals, NotASegment (a NotFound, before any call) for one
        that cannot be a path segment."""
        template = ME + "/applications/approvals/{approvalId}"
        self.call(Call.to("DELETE", template, approvalId=approval_id))

    def email_notifications(self) -> list[NotificationPreference]:
        """`GET /users/me/notifications/email`: every choice, the current one selected."""
        path = ME + "/notifications/email"
        return self.call(Call("GET", path, path), NotificationPreferences).notification_preferences

    def choose_email_notifications(self, code: str) -> list[NotificationPreference]:
        """`PUT /users/me/notifications/email` with `{"code": code}`; the choices after it."""
        path = ME + "/notifications/email"
        call = Call("PUT", path, path, NotificationChoice(code))
        return self.call(call, NotificationPreferences).notification_preferences

    def call(self, call: Call, answer: type[T] | None = None) -> T:
        """Make `call` and decode its answer as `answer` (None: the body is not read, and
        None is returned). Raises the errors listed on the class."""
        timeout = (self.connect_timeout, self.read_timeout)
        url = self.base_url + call.path
        try:
            token = self.tokens.access_token()
            status, body = send(self.http, url, call, token, timeout)
            if status == 401:  # expired or revoked meanwhile: renew once, retry once
                status, body = send(self.http, url, call, self.tokens.renew(token), timeout)
        except (TokenRefused, SessionGone) as exc:
            raise SessionOver(f"{call}: the access token could not be renewed ({exc})") from None
        if status == 401:
            raise SessionOver(f"{call}: the access token was refused twice")
        check_status(call, status, body)
        return cast(T, decode(call, body, answer) if answer is not None else None)
