"""The platform's user API as the signed-in user of this request (for views behind
login_required), and what a page may keep of the person's account in their session.

    account = user_api().me()    # GET /api/v1/users/me with the session's access token
    contacts = user_api(MyUserApi).contacts()    # a subclass of UserApi with calls of its own

The token comes from the session's grant: refreshed first when about to expire, renewed once
after a 401, both under the grant's refresh lock, the same one pages use. What the calls raise
(app/cocoon/errors.py) becomes a page in app/web/errors.py; SessionOver ends the session there and
sends the person through sign-in.
"""

from __future__ import annotations

from typing import Any, TypeVar, overload

from flask import g, session

from app.cocoon.api import UserApi
from app.cocoon.refresh import SessionGone
from app.cocoon.resources import Account
from app.components import components
from app.sessions.tokens import GrantTokenStore, adopt, fresh_tokens
from app.sessions.user_sessions import GRANT

# The person's name and roles from GET /users/me, kept for the profile's greeting (so that a
# profile page costs no call to the platform); the account pages renew it whenever they read it.
PERSON = "person"

Api = TypeVar("Api", bound=UserApi)


class SessionBearer:
    """BearerTokens (app/cocoon/api.py) from this request's session."""

    def access_token(self) -> str:
        """The session's access token, refreshed first when due. Raises SessionGone."""
        tokens = fresh_tokens()
        if tokens is None:
            raise SessionGone()
        return tokens.access_token

    def renew(self, rejected: str) -> str:
        """A token to retry with after `rejected` got a 401. Raises TokenRefused, SessionGone."""
        grant_id = session.get(GRANT)
        if not grant_id:
            raise SessionGone()
        tokens = components().refresher.renew(GrantTokenStore(grant_id), rejected)
        adopt(tokens)
        return tokens.access_token


@overload
def user_api() -> UserApi: ...
@overload
def user_api(api: type[Api]) -> Api: ...
def user_api(api: type[UserApi] = UserApi) -> UserApi:
    """The user API as this request's user: an instance of `api` (UserApi, or a subclass that
    adds calls of its own), made once per request and class, with the session's tokens and the
    portal's connection pool and timeouts."""
    clients: dict[type[UserApi], UserApi] = g.setdefault("user_apis", {})
    if api not in clients:
        parts = components()
        client = api.from_settings(parts.settings, SessionBearer())
        client.http = parts.platform_http
        clients[api] = client
    return clients[api]


def remember_person(account: Account) -> None:
    """Keep the person's name and roles for the profile, when they changed."""
    person = {"name": account.full_name, "roles": list(account.roles)}
    if session.get(PERSON) != person:
        session[PERSON] = person


def forget_person() -> None:
    """Note that the platform will not tell the person's name (kept as empty: not asked again)."""
    session[PERSON] = {}


def remembered_person() -> dict[str, Any] | None:
    """The person's name and roles as last read from the platform in this session, if ever."""
    return session.get(PERSON)
