"""Server-side sessions: the browser holds only a random session id.

A session interface of our own, on Flask's `flask.sessions.SessionInterface`; the sessions
themselves are in Redis (app/sessions/store.py: timeouts, and the worker's cache):
- the id is `secrets.token_urlsafe(16)`: 128 random bits, well above the 64 bits of entropy
  that OWASP's Session Management Cheat Sheet asks of a session id at the least (guessing one
  live session among a million at a billion tries a second would take over 10^15 years). A
  cookie that is not such an id (nor one of the 256-bit ids of the previous release, whose
  sessions still open) is ignored, and the request starts a new, empty session;
- a session is written back only when it changed: a page that only reads it writes nothing, and
  so cannot write a stale copy over tokens another request has just refreshed; and a session
  that was in Redis is written back only while it still is: one deleted meanwhile (signed out,
  or ended from another browser) stays deleted;
- a Redis that cannot be reached gives an `unavailable` session (app/web/errors.py answers 503).
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask, Request, Response, current_app, session
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from app.redis_client import REDIS_DOWN
from app.sessions.activity import is_person_activity
from app.sessions.store import SessionStore

log = logging.getLogger(__name__)

# Session ids we issue are token_urlsafe(16), 22 characters, and the previous release's were
# token_urlsafe(32), 43: anything else is not ours and is ignored.
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{22}|[A-Za-z0-9_-]{43}")


def new_sid() -> str:
    """A new session id: 16 random bytes (128 bits), urlsafe base64 (22 characters)."""
    return secrets.token_urlsafe(16)


class SessionStoreUnavailable(Exception):
    """Redis could not be reached while saving a session."""


class PortalSession(CallbackDict[str, Any], SessionMixin):
    """One request's session: a dict that notes when it is changed (`modified`).

    `sid` is its id (its Redis key, less the prefix); `unavailable` is True when Redis could not
    be read: the session is then empty and never saved. Flask sets `accessed` itself whenever
    the `session` proxy is used.
    """

    def __init__(
        self,
        initial: Mapping[str, Any] | None = None,
        sid: str | None = None,
        *,
        unavailable: bool = False,
    ) -> None:
        def on_update(self: PortalSession) -> None:
            self.modified = True

        super().__init__(initial, on_update)
        self.new = sid is None
        self.sid = sid or new_sid()
        self.unavailable = unavailable
        self.modified = False
        self.accessed = False

    def adopt(self, values: Mapping[str, Any]) -> None:
        """Take values that are already in Redis without marking the session modified: writing
        them back at the end of the request would only risk a stale copy."""
        modified = self.modified
        self.update(values)
        self.modified = modified


class PortalSessionInterface(SessionInterface):
    """Flask's sessions kept in a SessionStore."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store

    def open_session(self, app: Flask, request: Request) -> PortalSession:
        """The session the request's cookie names; a new, empty one when there is no cookie, it
        holds no id of ours, or that session has ended. Its idle timeout slides only for a
        person's activity (app/sessions/activity.py). Never raises: when Redis cannot be
        reached, the new session is marked `unavailable`."""
        sid = request.cookies.get(self.get_cookie_name(app))
        if sid is None or not SESSION_ID.fullmatch(sid):
            return PortalSession()
        try:
            data = self.store.open(sid, slide=is_person_activity(app, request))
        except REDIS_DOWN as exc:
            log.error("session store unavailable: %s", exc)
            return PortalSession(unavailable=True)
        return PortalSession() if data is None else PortalSession(data, sid)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Write the session back only if it changed: stored with its cookie set, or, emptied,
        deleted with its cookie. Raises SessionStoreUnavailable when Redis cannot be reached."""
        assert isinstance(session, PortalSession)
        if session.unavailable:  # the 503 page: nothing to save
            return
        if session.accessed:
            response.vary.add("Cookie")
        if not session.modified:
            return
        try:
            if session:
                self.store.store(session.sid, session, existing_only=not session.new)
            else:
                self.store.delete(session.sid)
        except REDIS_DOWN as exc:
            session.unavailable = True  # the error page that follows must not try again
            raise SessionStoreUnavailable(str(exc)) from exc
        self._set_cookie(app, response, session.sid if session else None)

    def _set_cookie(self, app: Flask, response: Response, sid: str | None) -> None:
        options: dict[str, Any] = {
            "domain": self.get_cookie_domain(app),
            "path": self.get_cookie_path(app),
            "secure": self.get_cookie_secure(app),
            "httponly": self.get_cookie_httponly(app),
            "samesite": self.get_cookie_samesite(app),
            "partitioned": self.get_cookie_partitioned(app),
        }
        if sid is None:
            response.delete_cookie(self.get_cookie_name(app), **options)
        else:  # no expiry: the cookie ends with the browser, the session in Redis before that
            response.set_cookie(self.get_cookie_name(app), sid, **options)
        response.vary.add("Cookie")

    def regenerate(self, session: PortalSession) -> None:
        """Give session a new id (stops session fixation): the old one is deleted from Redis at
        once, the session is stored under the new one when the request ends. Raises any of
        REDIS_DOWN."""
        self.store.delete(session.sid)
        session.sid = new_sid()
        session.new = True
        session.modified = True


def current_session() -> PortalSession:
    """This request's session, typed (the `session` proxy stands for a PortalSession).

    Raises TypeError when the app does not use PortalSessionInterface.
    """
    if not isinstance(session, PortalSession):
        raise TypeError("the session is not a PortalSession: see app/sessions/interface.py")
    return session


def current_interface() -> PortalSessionInterface:
    """The current app's session interface, typed. Raises TypeError when it is another."""
    interface = current_app.session_interface
    if not isinstance(interface, PortalSessionInterface):
        raise TypeError("the session interface is not a PortalSessionInterface")
    return interface
