"""Ending sessions: sign-out, a session ended from another browser, "Sign out everywhere", and
a session the platform has ended (its refresh refused).

Each deletes the session in Redis first, so its very next request, on any instance, finds no
session and is sent through sign-in; then its entry in the user's index
(app/sessions/user_sessions.py); then it releases the session's grant (app/cocoon/grants.py). The
refresh token is revoked (RFC 7009) only when no other live session of the user holds the
grant: with a platform that gives one person's browsers the same tokens, revoking them at one
sign-out would end the other browser's session too.
"""

from __future__ import annotations

import logging

from flask import session

from app.cocoon.sealing import SealError
from app.cocoon.tokens import TokenSet
from app.components import components
from app.sessions.interface import current_session
from app.sessions.user_sessions import GRANT, LiveSession, UserSessions, session_user

log = logging.getLogger(__name__)


def _index() -> UserSessions:
    return components().user_sessions()


def _this_session() -> tuple[str | None, str, str | None]:
    """This session's user name, id and grant id."""
    user = session_user(session) or None
    return user, current_session().sid, session.get(GRANT)


def sign_out() -> None:
    """End this session and release its grant (revoking the refresh token if it was the last
    session holding it)."""
    user, sid, grant_id = _this_session()
    _end(user, sid)
    session.clear()
    if grant_id:
        release(user, grant_id, revoke=True)
    log.info("signed out", extra={"event": "signed_out"})


def end_session(user: str, ended: LiveSession) -> None:
    """End another session of the user's (from the Sessions page) and release its grant."""
    _end(user, ended.sid)
    release(user, ended.data[GRANT], revoke=True)
    log.info("session ended from another", extra={"event": "session_ended"})


def sign_out_everywhere(user: str, *, revoke: bool = True) -> int:
    """End every session of the user at once, this one included, and revoke every refresh
    token they held (unless not `revoke`: the platform has ended them already, as when the
    person withdraws this portal's approval); how many sessions ended."""
    index = _index()
    live = index.live(user)
    grant_ids: set[str] = {item.data[GRANT] for item in live}
    if session.get(GRANT):
        grant_ids.add(session[GRANT])
    store = components().sessions
    for item in live:
        store.delete(item.sid)
    store.delete(current_session().sid)
    index.delete(user)
    session.clear()
    for grant_id in grant_ids:
        _drop_grant(grant_id, revoke=revoke)
    log.info("signed out everywhere", extra={"event": "signed_out_everywhere"})
    return len(live)


def session_over() -> None:
    """The platform refused this session's refresh token, or its renewed access token: the
    session and its grant end (there is nothing left to revoke)."""
    user, sid, grant_id = _this_session()
    _end(user, sid)
    session.clear()
    if grant_id:
        _drop_grant(grant_id, revoke=False)


def release(user: str | None, grant_id: str, revoke: bool) -> None:
    """Drop the grant (and revoke its refresh token when asked) unless another live session of
    the user still holds it."""
    holders = _index().live(user) if user else []
    if not any(item.data.get(GRANT) == grant_id for item in holders):
        _drop_grant(grant_id, revoke)


def _end(user: str | None, sid: str) -> None:
    components().sessions.delete(sid)
    if user:
        _index().remove(user, sid)


def _drop_grant(grant_id: str, revoke: bool) -> None:
    parts = components()
    tokens: TokenSet | None
    try:
        tokens = parts.grants.load(grant_id)
    except SealError:
        tokens = None
    parts.grants.delete(grant_id, tokens)
    if revoke and tokens is not None and tokens.refresh_token:
        # Beside the request (app/cocoon/revocations.py): the browser never waits on it.
        parts.revocations.revoke(tokens.refresh_token)
