"""The per-user index of signed-in sessions: for the Sessions page and "Sign out everywhere".

One sorted set per user, `portal:user-sessions:<reference>` (the user name's keyed reference,
app/sessions/references.py: no name in a Redis key), whose members are session ids scored by sign-in
time (whole epoch seconds: an integer takes less room in the set than a fraction). What a
session shows (device, last seen) lives in the session itself; the index only says which
sessions to look at. It is kept exact:
- a sign-in stores its session first and then adds it; a sign-out or an ended session is
  deleted first and then removed, so an entry never names a session about to appear;
- a session that ends without a request (idle or absolute timeout, its Redis TTL) leaves its
  entry behind: every read checks each entry against its session and drops the dead ones, so
  none is ever listed, and every sign-in reads (so prunes) the index;
- the index itself expires SESSION_ABSOLUTE_TIMEOUT after the user's latest sign-in, when every
  session in it has ended: the index of a user who never comes back goes whole.
Single-key commands only, so the index and the sessions may sit on any Redis Cluster nodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.redis_client import RedisStore
from app.sessions.references import reference
from app.sessions.store import STARTED_AT, SessionStore

# What a signed-in session holds besides its times (the rest: app/sessions/tokens.py).
GRANT = "grant"  # the id of its grant (app/cocoon/grants.py)
USER = "user"  # its user's name, as the tokens give it ("" when they name nobody)


def session_user(data: Mapping[str, Any]) -> str | None:
    """The user name of a signed-in session's data ('' when its tokens name nobody); None when
    it is not signed in."""
    if GRANT not in data:
        return None
    return str(data.get(USER) or "")


@dataclass(frozen=True)
class LiveSession:
    """A signed-in session of the user: its id and its stored data."""

    sid: str
    data: dict[str, Any]


class UserSessions:
    """Add to, remove from and read one index per user. Raises redis' RedisError."""

    def __init__(
        self,
        redis: RedisStore,
        store: SessionStore,
        reference_key: bytes,
        prefix: str = "portal:user-sessions:",
    ) -> None:
        self.redis = redis
        self.store = store
        self.reference_key = reference_key
        self.prefix = prefix

    def reference(self, value: str) -> str:
        """A keyed, non-reversible reference to a user name or a session id (22 characters):
        what names a user's index, and a session in the page's forms (never its id)."""
        return reference(self.reference_key, value)

    def is_reference(self, wanted: str, sid: str) -> bool:
        """Whether `wanted`, sent by a form, names session sid (by its reference)."""
        return wanted == self.reference(sid)

    def key(self, user: str) -> str:
        """The Redis key of user's index."""
        return self.prefix + self.reference(user)

    def add(self, user: str, sid: str, started_at: float) -> None:
        """Index a session that is already stored, and prune the user's dead entries."""
        key = self.key(user)
        self.redis.zadd(key, {sid: int(started_at)})
        self.redis.expire(key, max(1, int(self.store.absolute_timeout)))
        self.live(user)

    def remove(self, user: str, *sids: str) -> None:
        """Drop sessions' entries (after the sessions were deleted), in one round trip."""
        if sids:
            self.redis.zrem(self.key(user), *sids)

    def delete(self, user: str) -> None:
        """Drop user's index whole (after every session in it was deleted)."""
        self.redis.delete(self.key(user))

    def live(self, user: str) -> list[LiveSession]:
        """The user's signed-in sessions, oldest first; entries whose session has ended are
        removed on the way."""
        found, dead = [], []
        for raw in self.redis.zrange(self.key(user), 0, -1):
            sid = raw.decode() if isinstance(raw, bytes) else str(raw)
            data = self.store.load(sid)
            if data is None or GRANT not in data or self._past_absolute(data):
                dead.append(sid)
            else:
                found.append(LiveSession(sid, data))
        self.remove(user, *dead)
        return found

    def _past_absolute(self, data: dict[str, Any]) -> bool:
        """Past SESSION_ABSOLUTE_TIMEOUT by the portal's clock (its Redis TTL may lag behind
        a clock that is not the wall clock, as in tests)."""
        started_at = data.get(STARTED_AT)
        if not isinstance(started_at, int | float):
            return True
        return started_at + self.store.absolute_timeout <= self.store.clock()
