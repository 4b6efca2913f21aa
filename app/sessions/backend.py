"""flask-session's storage: a cachelib backend (`SESSION_TYPE = "cachelib"`) on our SessionStore.

flask-session's cachelib interface hands its backend the session as a dict and takes one back
(`get`, `set`, `delete` by key: SESSION_KEY_PREFIX + the session id), and never encodes,
decodes nor unpickles anything itself: what a session is in Redis, and how it is read, is all
ours (app/sessions/store.py: msgpack only, the timeouts, the worker's cache). What the backend
adds is what one request needs of its session's key:
- a key that does not hold an id of ours (22 characters of urlsafe base64: what
  SESSION_ID_LENGTH = 16 bytes gives) is no session, without asking Redis;
- a session this request found in Redis (or has written) is written back only while it is
  still there (SET XX): one deleted meanwhile, by a sign-out or from another browser, stays
  deleted whatever this request writes (flask-session issue #71 and its kin). A new id is
  written as it is. flask-session keeps the id the request's cookie names only when `get`
  found its session, and draws a new one otherwise: so a write of the cookie's id is a write
  of a session found in Redis, and nothing needs noting while a page only reads;
- a Redis that cannot be reached while the session is read leaves the request without one:
  `get` answers None (flask-session then starts an empty session) and `store_down()` says so,
  for app/web/errors.py's 503 page; from then on this request writes and deletes nothing, so
  the error page cannot make half a session. A write or delete that fails raises (REDIS_DOWN)
  and marks the request the same way.
What flask-session's `clear()` leaves in a session (`_permanent: False`, the default) is not
stored.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from cachelib import BaseCache
from flask import current_app, has_request_context, request

from app.redis_client import REDIS_DOWN
from app.sessions.activity import is_person_activity
from app.sessions.store import SessionStore

log = logging.getLogger(__name__)

# flask-session's id: secrets.token_urlsafe(SESSION_ID_LENGTH = 16), 22 characters.
ID_BYTES = 16
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{22}")
PERMANENT = "_permanent"  # where Flask's SessionMixin keeps `permanent` (SESSION_PERMANENT)
# What this request knows of its session, in its WSGI environ (one per request, whatever
# application context it shares).
WRITTEN = "portal.sessions_written"  # the ids it has written to Redis
DOWN = "portal.session_store_down"  # Redis could not be reached for the session


class SessionBackend(BaseCache):
    """The cachelib face of a SessionStore, for flask-session (SESSION_CACHELIB).

    Keys are SESSION_KEY_PREFIX + a session id; values are session dicts. `get` and `has`
    answer None/False for a key that holds no id of ours; `set` and `delete` raise ValueError
    for one, and any of REDIS_DOWN when Redis cannot be reached. `timeout` is ignored: a
    session lives SESSION_IDLE_TIMEOUT, cut at its absolute limit (the store's rules).
    """

    def __init__(self, store: SessionStore) -> None:
        super().__init__(default_timeout=store.idle_timeout)
        self.store = store

    def sid(self, key: str) -> str | None:
        """The session id in key; None when key holds none of ours."""
        prefix = self.store.key_prefix
        sid = key[len(prefix) :] if key.startswith(prefix) else ""
        return sid if SESSION_ID.fullmatch(sid) else None

    def get(self, key: str) -> dict[str, Any] | None:
        """The session's data, its idle timeout slid when the request is a person's activity
        (app/sessions/activity.py); None when there is none (or Redis cannot be reached: see
        store_down)."""
        sid = self.sid(key)
        if sid is None:
            return None
        slide = not has_request_context() or is_person_activity(current_app, request)
        try:
            return self.store.open(sid, slide=slide)
        except REDIS_DOWN as exc:
            log.error("session store unavailable: %s", exc)
            _mark_down()
            return None

    def set(self, key: str, value: Mapping[str, Any], timeout: Any = None) -> bool:
        """Store the session; only while it still exists if this request found it in Redis.
        True when written."""
        sid = self._own(key)
        if store_down():
            return False
        data = {name: item for name, item in value.items() if name != PERMANENT or item}
        written = _written()
        found = has_request_context() and sid == request.cookies.get(self.cookie_name())
        try:
            stored = self.store.store(sid, data, existing_only=found or sid in written)
        except REDIS_DOWN:
            _mark_down()
            raise
        written.add(sid)
        return stored

    def delete(self, key: str) -> bool:
        """Delete the session at once (a sign-out holds even if the request fails later)."""
        sid = self._own(key)
        if store_down():
            return False
        try:
            self.store.delete(sid)
        except REDIS_DOWN:
            _mark_down()
            raise
        return True

    def has(self, key: str) -> bool:
        """Whether the session exists (read from Redis, its TTL untouched)."""
        sid = self.sid(key)
        return sid is not None and self.store.load(sid) is not None

    def add(self, key: str, value: Any, timeout: Any = None) -> bool:
        """Not offered (flask-session never adds): False."""
        return False

    def clear(self) -> bool:
        """Not offered (sessions end one by one, or by user: app/sessions/endings.py): False."""
        return False

    def cookie_name(self) -> str:
        """The session cookie's name (Flask's SESSION_COOKIE_NAME)."""
        return str(current_app.config["SESSION_COOKIE_NAME"])

    def _own(self, key: str) -> str:
        sid = self.sid(key)
        if sid is None:
            raise ValueError("not a session key of this portal (see SESSION_ID_LENGTH)")
        return sid


def store_down() -> bool:
    """Whether Redis could not be reached for this request's session."""
    return has_request_context() and bool(request.environ.get(DOWN))


def _mark_down() -> None:
    if has_request_context():
        request.environ[DOWN] = True


def _written() -> set[str]:
    """The ids this request has written to Redis (none outside a request)."""
    if not has_request_context():
        return set()
    written: set[str] = request.environ.setdefault(WRITTEN, set())
    return written
