"""Server-side sessions in Redis: the browser holds only a random session id.

A session interface of our own, on Flask's `flask.sessions.SessionInterface` and redis-py:
- the id is `secrets.token_urlsafe(32)` (256 random bits); a cookie that is not such an id is
  ignored, and the request starts a new, empty session;
- reading a session slides its idle timeout in the same call (GETEX): one Redis call a page;
- a session is written back only when it changed: a page that only reads it writes nothing, and
  so cannot write a stale copy over tokens another request has just refreshed;
- the Redis TTL never outlives the absolute limit, counted from sign-in (`STARTED_AT`);
- a Redis that cannot be reached gives an `unavailable` session (app/errors.py answers 503).
Sessions are stored as msgpack (msgspec), so the sealed tokens are raw bytes, not base64.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

import msgspec
from flask import Flask, Request, Response, current_app, session
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from app.redis_client import REDIS_DOWN, RedisStore

log = logging.getLogger(__name__)

# When the current sign-in began (epoch seconds): the absolute timeout counts from here.
STARTED_AT = "_started_at"
# Session ids we issue are token_urlsafe(32): anything else is not ours and is ignored.
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{43}")


def new_sid() -> str:
    """A new session id: 32 random bytes, urlsafe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


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
    """Sessions in Redis under `key_prefix` + id, with a sliding idle timeout and an absolute
    one (both in seconds); `clock` gives the time in epoch seconds."""

    def __init__(
        self,
        client: RedisStore,
        *,
        idle_timeout: float,
        absolute_timeout: float,
        key_prefix: str = "portal:session:",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.idle_timeout = int(idle_timeout)
        self.absolute_timeout = absolute_timeout
        self.key_prefix = key_prefix
        self.clock = clock
        self.encoder = msgspec.msgpack.Encoder()
        self.decoder = msgspec.msgpack.Decoder(dict[str, Any])

    def key(self, sid: str) -> str:
        """The Redis key of session `sid`."""
        return self.key_prefix + sid

    def open_session(self, app: Flask, request: Request) -> PortalSession:
        """The session the request's cookie names; a new, empty one when there is no cookie, it
        holds no id of ours, or that session has ended. Never raises: when Redis cannot be
        reached, the new session is marked `unavailable`."""
        sid = request.cookies.get(self.get_cookie_name(app))
        if sid is None or not SESSION_ID.fullmatch(sid):
            return PortalSession()
        try:
            data = self.open_stored(sid)
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
                self.store_now(session.sid, session)
            else:
                self.delete_now(session.sid)
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
        self.delete_now(session.sid)
        session.sid = new_sid()
        session.modified = True

    def open_stored(self, sid: str) -> dict[str, Any] | None:
        """The data of session `sid`, its idle timeout slid in the same call (GETEX); None when
        there is none, it cannot be decoded, or its absolute limit has passed (it is then
        deleted). Raises any of REDIS_DOWN."""
        key = self.key(sid)
        data = self._decode(self.client.getex(key, ex=self.idle_timeout))
        started_at = data.get(STARTED_AT) if data is not None else None
        if not isinstance(started_at, int | float):
            return data  # not signed in (or nothing there): only the idle limit applies
        remaining = started_at + self.absolute_timeout - self.clock()
        if remaining <= 0:
            self.client.delete(key)
            return None
        if remaining < self.idle_timeout:  # the last idle period before the absolute limit
            self.client.expire(key, max(1, int(remaining)))
        return data

    def load_stored(self, sid: str) -> dict[str, Any] | None:
        """The stored data of session `sid` (None when there is none), its TTL untouched: for
        the refresh lock, which re-reads the stored copy once held. Raises any of REDIS_DOWN."""
        return self._decode(self.client.get(self.key(sid)))

    def store_now(self, sid: str, data: Mapping[str, Any]) -> None:
        """Write `data` as session `sid` at once, with a TTL of the idle timeout cut at the
        absolute limit. Raises any of REDIS_DOWN."""
        started_at = data.get(STARTED_AT)
        ttl = float(self.idle_timeout)
        if isinstance(started_at, int | float):
            ttl = min(ttl, started_at + self.absolute_timeout - self.clock())
        self.client.set(self.key(sid), self.encoder.encode(dict(data)), ex=max(1, int(ttl)))

    def delete_now(self, sid: str) -> None:
        """Delete session `sid` at once, so a sign-out holds even if the request fails later.
        Raises any of REDIS_DOWN."""
        self.client.delete(self.key(sid))

    def _decode(self, raw: Any) -> dict[str, Any] | None:
        if raw is None:
            return None
        try:
            return self.decoder.decode(raw)
        except msgspec.DecodeError as exc:  # not written by this interface: treat as absent
            log.warning("ignoring a session that cannot be decoded: %s", exc)
            return None


def current_session() -> PortalSession:
    """This request's session, typed (the `session` proxy stands for a PortalSession).

    Raises TypeError when the app does not use PortalSessionInterface.
    """
    if not isinstance(session, PortalSession):
        raise TypeError("the session is not a PortalSession: see app/sessions.py")
    return session


def current_interface() -> PortalSessionInterface:
    """The current app's session interface, typed. Raises TypeError when it is another."""
    interface = current_app.session_interface
    if not isinstance(interface, PortalSessionInterface):
        raise TypeError("the session interface is not a PortalSessionInterface")
    return interface
