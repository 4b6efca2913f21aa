"""A worker's copy of the sessions (and their grants) it has read, so that a page needs no
Redis round trip.

Each entry is a key's stored bytes, by key, with the moment until which it may be served
without asking Redis (epoch seconds of the session clock: for a session, until its idle
timeout's next slide is due, see app/sessions/store.py). Redis tells of every change to a key
under the tracked prefixes, wherever it is made (app/sessions/invalidations.py); before a request's
first lookup the messages already received are applied, and while the channel is down or silent
the cache answers nothing, so every page reads Redis.

Bounded (least recently used entries go first) and safe under gthread's threads, with two locks:
the channel's (one thread at a time reads its socket) and the entries' (held for dictionary work
only, never across I/O). Reading the socket is a system call, during which Python lets another
thread run: were the entries' lock held then, every other thread's lookup would queue behind it,
and with one worker's four threads under load that queue cost more than the whole page
(docs/benchmarks.md has the figures). A read from Redis races with invalidations: a thread
must not keep what it read if Redis has since said the session changed. So a read takes a ticket
first; any invalidation of that session (or of all) voids its tickets, and `keep` stores only
under a ticket still valid.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from redis import Redis
from redis.connection import AbstractConnection

from app.redis_client import make_single_redis
from app.sessions.invalidations import InvalidationChannel
from config import Settings

LOCK_WAIT = 0.05  # seconds a request waits for another thread's turn, then reads Redis


class Ticket:
    """Taken before reading a key from Redis; valid until that key is invalidated."""


class _ThreadState(threading.local):
    synced = False


class SessionCache:
    """Keys under `prefixes`, by key: `lookup`, `keep`, `discard`.

    `make_client(set_up)` makes the RESP2 client of the invalidation channel (see
    InvalidationChannel).
    """

    def __init__(
        self,
        make_client: Callable[[Callable[[AbstractConnection], None]], Redis],
        prefixes: tuple[str, ...],
        maxsize: int,
    ):
        self.maxsize = maxsize
        self.channel = InvalidationChannel(make_client, prefixes, self._invalidate)
        self.lock = threading.Lock()  # the entries and tickets
        self.channel_lock = threading.Lock()  # the channel (taken before self.lock, never after)
        self.syncs = 0  # reads of the channel begun so far (counted under channel_lock)
        self.this_thread = _ThreadState()  # whether this thread's last sync applied them
        self.entries: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self.tickets: dict[str, Ticket] = {}

    def lookup(
        self, key: str, now: float, *, sync: bool = True
    ) -> tuple[bytes | None, Ticket | None]:
        """(the stored bytes of key, None) when they may be served at `now`; else
        (None, a ticket for keeping what will be read from Redis), or (None, None) when the
        cache cannot be trusted right now (read Redis and keep nothing).

        A request's first lookup applies the invalidations Redis has sent (a system call);
        `sync=False` skips that for a later lookup of the same request (its grant after its
        session), which may not see a change newer than the request anyway. It is honoured
        only when this thread's last lookup with `sync` did apply them (not when it gave up
        waiting for the channel); otherwise this lookup applies them itself."""
        if not self._channel_usable(sync):
            return None, None
        if not self.lock.acquire(timeout=LOCK_WAIT):
            return None, None
        try:
            entry = self.entries.get(key)
            if entry is not None and now < entry[1]:
                self.entries.move_to_end(key)
                return entry[0], None
            if len(self.tickets) >= self.maxsize:  # reads that failed never came back
                self.tickets.clear()
            ticket = self.tickets[key] = Ticket()
            return None, ticket
        finally:
            self.lock.release()

    def _channel_usable(self, sync: bool) -> bool:
        """Whether the channel may be trusted, after applying what it had received when this
        call began (when `sync`).

        Threads that wait for the channel share one read of its socket: a read that began
        after this call did has applied everything this one would, so this one does not read
        again (under load, one thread reads for all those that queued meanwhile)."""
        if not sync and self.this_thread.synced:
            self.this_thread.synced = False  # for this one later lookup only
            return self.channel.usable()
        self.this_thread.synced = False
        seen = self.syncs
        if not self.channel_lock.acquire(timeout=LOCK_WAIT):
            return False
        try:
            if self.syncs > seen:
                usable = self.channel.usable()
            else:
                self.syncs += 1
                usable = self.channel.sync()
        finally:
            self.channel_lock.release()
        self.this_thread.synced = usable
        return usable

    def keep(self, key: str, ticket: Ticket, stored: bytes, fresh_until: float) -> None:
        """Keep what was read from Redis under `ticket`, to be served until `fresh_until`,
        unless the key was invalidated since the ticket was taken."""
        with self.lock:
            if self.tickets.get(key) is not ticket:
                return
            del self.tickets[key]
            self.entries[key] = (stored, fresh_until)
            self.entries.move_to_end(key)
            while len(self.entries) > self.maxsize:
                self.entries.popitem(last=False)

    def discard(self, key: str) -> None:
        """Forget key (this worker has just written or deleted it)."""
        with self.lock:
            self.entries.pop(key, None)
            self.tickets.pop(key, None)

    def _invalidate(self, keys: list[bytes] | None) -> None:
        """Redis said these keys changed (None: all of them, or nothing is known). Called by the
        channel, under the channel's lock."""
        with self.lock:
            if keys is None:
                self.entries.clear()
                self.tickets.clear()
                return
            for raw in keys:
                key = raw.decode("utf-8", "replace")
                self.entries.pop(key, None)
                self.tickets.pop(key, None)


def make_session_cache(settings: Settings, prefixes: tuple[str, ...]) -> SessionCache | None:
    """The cache of the keys under `prefixes`, with SESSION_CACHE_SIZE entries; None when
    that is 0, or with Redis Cluster (its invalidations would come from every primary, and
    follow every change of the cluster's layout: not done here)."""
    if settings.redis_cluster_nodes or not settings.session_cache_size:
        return None

    def make_client(set_up: Callable[[AbstractConnection], None]) -> Redis:
        return make_single_redis(settings, protocol=2, redis_connect_func=set_up)

    return SessionCache(make_client, prefixes, settings.session_cache_size)
