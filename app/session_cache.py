"""A worker's copy of the sessions it has read, so that a page needs no Redis round trip.

Each entry is a session's stored bytes, by id, with the moment until which it may be served
without asking Redis (epoch seconds of the session clock: until its idle timeout's next slide
is due, see app/session_store.py). Redis tells of every change to a session, wherever it is
made (app/invalidations.py); before each lookup the messages already received are applied, and
while the channel is down or silent the cache answers nothing, so every page reads Redis.

Bounded (least recently used entries go first) and safe under gthread's threads: one lock
guards the channel and the entries. A read from Redis races with invalidations: a thread must
not keep what it read if Redis has since said the session changed. So a read takes a ticket
first; any invalidation of that session (or of all) voids its tickets, and `keep` stores only
under a ticket still valid.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from redis import Redis
from redis.connection import AbstractConnection

from app.invalidations import InvalidationChannel
from app.redis_client import make_single_redis
from config import Settings

LOCK_WAIT = 0.05  # seconds a request waits for another thread's turn, then reads Redis


class Ticket:
    """Taken before reading a session from Redis; valid until that session is invalidated."""


class SessionCache:
    """Sessions by id (their Redis key less `prefix`): `lookup`, `keep`, `discard`.

    `make_client(set_up)` makes the RESP2 client of the invalidation channel (see
    InvalidationChannel).
    """

    def __init__(
        self,
        make_client: Callable[[Callable[[AbstractConnection], None]], Redis],
        prefix: str,
        maxsize: int,
    ):
        self.prefix = prefix.encode()
        self.maxsize = maxsize
        self.channel = InvalidationChannel(make_client, prefix, self._invalidate)
        self.lock = threading.Lock()
        self.entries: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self.tickets: dict[str, Ticket] = {}

    def lookup(self, sid: str, now: float) -> tuple[bytes | None, Ticket | None]:
        """(the stored bytes of session sid, None) when they may be served at `now`; else
        (None, a ticket for keeping what will be read from Redis), or (None, None) when the
        cache cannot be trusted right now (read Redis and keep nothing)."""
        if not self.lock.acquire(timeout=LOCK_WAIT):
            return None, None
        try:
            if not self.channel.sync():
                return None, None
            entry = self.entries.get(sid)
            if entry is not None and now < entry[1]:
                self.entries.move_to_end(sid)
                return entry[0], None
            if len(self.tickets) >= self.maxsize:  # reads that failed never came back
                self.tickets.clear()
            ticket = self.tickets[sid] = Ticket()
            return None, ticket
        finally:
            self.lock.release()

    def keep(self, sid: str, ticket: Ticket, stored: bytes, fresh_until: float) -> None:
        """Keep what was read from Redis under `ticket`, to be served until `fresh_until`,
        unless the session was invalidated since the ticket was taken."""
        with self.lock:
            if self.tickets.get(sid) is not ticket:
                return
            del self.tickets[sid]
            self.entries[sid] = (stored, fresh_until)
            self.entries.move_to_end(sid)
            while len(self.entries) > self.maxsize:
                self.entries.popitem(last=False)

    def discard(self, sid: str) -> None:
        """Forget session sid (this worker has just written or deleted it)."""
        with self.lock:
            self.entries.pop(sid, None)
            self.tickets.pop(sid, None)

    def _invalidate(self, keys: list[bytes] | None) -> None:
        """Redis said these keys changed (None: all of them, or nothing is known)."""
        if keys is None:
            self.entries.clear()
            self.tickets.clear()
            return
        for key in keys:
            if key.startswith(self.prefix):
                sid = key[len(self.prefix) :].decode("ascii", "replace")
                self.entries.pop(sid, None)
                self.tickets.pop(sid, None)


def make_session_cache(settings: Settings, prefix: str) -> SessionCache | None:
    """The cache of the sessions under `prefix`, with SESSION_CACHE_SIZE entries; None when
    that is 0, or with Redis Cluster (its invalidations would come from every primary, and
    follow every change of the cluster's layout: not done here)."""
    if settings.redis_cluster_nodes or not settings.session_cache_size:
        return None

    def make_client(set_up: Callable[[AbstractConnection], None]) -> Redis:
        return make_single_redis(settings, protocol=2, redis_connect_func=set_up)

    return SessionCache(make_client, prefix, settings.session_cache_size)
