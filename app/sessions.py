"""Server-side sessions in Redis (flask-session), with idle and absolute timeouts enforced here.

The browser holds only a random session id. Three changes to flask-session's Redis interface:
- reading a session slides its idle timeout in the same round trip (GETEX), so a signed-in
  page costs one Redis call and writes nothing back (flask-session's default rewrites the whole
  session on every request, which halves throughput and can write a stale copy over a
  refreshed token);
- the Redis TTL never outlives the absolute limit, counted from sign-in;
- a Redis that cannot be reached gives an `unavailable` session the app answers 503 for,
  never a silent anonymous session.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Request, Response
from flask_session.redis import RedisSessionInterface
from flask_session.redis.redis import RedisSession
from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# When the current sign-in began: the absolute timeout counts from here.
STARTED_AT = "_started_at"
# Session ids we issue are token_urlsafe(32): anything else is not ours and is ignored.
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{43}")


class SessionStoreUnavailable(Exception):
    """Redis could not be reached while opening or saving a session."""


class PortalSession(RedisSession):
    """A server-side session that knows whether its store could be reached."""

    unavailable = False

    def adopt(self, values: dict[str, Any]) -> None:
        """Take values that are already in Redis without marking the session modified: writing
        them back at the end of the request would only risk a stale copy."""
        modified = self.modified
        self.update(values)
        self.modified = modified


class PortalSessionInterface(RedisSessionInterface):
    """flask-session's Redis interface with sliding idle and fixed absolute timeouts."""

    session_class = PortalSession

    def __init__(
        self,
        app: Flask,
        client: Redis,
        idle_timeout: float,
        absolute_timeout: float,
        key_prefix: str = "portal:session:",
        clock: Callable[[], float] = time.time,
    ):
        super().__init__(
            app,
            client=client,
            key_prefix=key_prefix,
            use_signer=False,
            permanent=False,
            sid_length=32,
            serialization_format="msgpack",
        )
        self.idle_timeout = int(idle_timeout)
        self.absolute_timeout = absolute_timeout
        self.clock = clock

    def _ttl(self, started_at: float) -> int:
        """Seconds the session may live from now: the idle limit, cut at the absolute one."""
        remaining = started_at + self.absolute_timeout - self.clock()
        return max(1, int(min(self.idle_timeout, remaining)))

    def open_session(self, app: Flask, request: Request) -> PortalSession:
        """Open the session named by the cookie; a cookie that is not ours starts afresh."""
        sid = request.cookies.get(self.get_cookie_name(app))
        if sid is not None and not SESSION_ID.fullmatch(sid):
            return self.session_class(
                sid=self._generate_sid(self.sid_length), permanent=self.permanent
            )
        try:
            return super().open_session(app, request)
        except RedisError as exc:
            log.error("session store unavailable: %s", exc)
            session = self.session_class(sid=self._generate_sid(self.sid_length))
            session.unavailable = True
            return session

    def save_session(self, app: Flask, session: PortalSession, response: Response) -> None:
        """Write the session back only when it changed (and never one we could not open)."""
        if session.unavailable:
            return
        if not session.modified:  # a page that only read the session: nothing to write
            if session.accessed:
                response.headers.add("Vary", "Cookie")
            return
        try:
            super().save_session(app, session, response)
        except RedisError as exc:
            session.unavailable = True  # the error page that follows must not try again
            raise SessionStoreUnavailable(str(exc)) from exc

    def _retrieve_session_data(self, store_id: str) -> dict[str, Any] | None:
        raw = self.client.getex(store_id, ex=self.idle_timeout)  # read and slide, one call
        if raw is None:
            return None
        data = self.serializer.decode(raw)
        started_at = data.get(STARTED_AT)
        if not isinstance(started_at, int | float):
            return data  # not signed in: only the idle limit applies
        if self.clock() >= started_at + self.absolute_timeout:
            self.client.delete(store_id)
            return None
        ttl = self._ttl(started_at)
        if ttl < self.idle_timeout:  # the last idle period before the absolute limit
            self.client.expire(store_id, ttl)
        return data

    def _upsert_session(self, session_lifetime: Any, session: PortalSession, store_id: str) -> None:
        started_at = session.get(STARTED_AT)
        ttl = self._ttl(started_at) if isinstance(started_at, int | float) else self.idle_timeout
        self.client.set(store_id, self.serializer.encode(session), ex=ttl)

    # For the refresh lock: read and write the stored copy while the lock is held.

    def load_stored(self, sid: str) -> dict[str, Any] | None:
        """The stored data of session `sid`, without touching its TTL."""
        raw = self.client.get(self._get_store_id(sid))
        return None if raw is None else self.serializer.decode(raw)

    def delete_now(self, sid: str) -> None:
        """Delete session `sid` at once, so a sign-out holds even if the request fails later."""
        self.client.delete(self._get_store_id(sid))

    def store_now(self, sid: str, data: dict[str, Any]) -> None:
        """Write data as session `sid` at once (not at the end of the request)."""
        self._upsert_session(None, self.session_class(data, sid=sid), self._get_store_id(sid))
