"""Redis' invalidation messages for some key prefixes, which keep a worker's cache true.

Server-assisted client-side caching as Redis 6 and later (and Valkey) offer it over RESP2: the
subscriber's own connection turns on `CLIENT TRACKING on REDIRECT <its own id> BCAST PREFIX
<prefix> ...`, then subscribes to `__redis__:invalidate`. Redis then sends it the name of every
key under the prefixes that anyone writes, deletes, expires or evicts (and None after a FLUSHALL).
Tracking is switched on in the connection's own set-up (redis-py's `redis_connect_func`), so it
is on again whenever redis-py reconnects; every new connection empties the cache, since what
changed while there was none is unknown.

The cache may be used only while the channel is known to be alive: Redis answered one of its
PINGs within the last STALE_AFTER seconds. A channel that went silent (a hung Redis, a network
cut TCP has not noticed yet) would otherwise keep serving sessions others have since changed.
A PING is answered after every message Redis queued before it, so its PONG also proves that
those have been applied.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from redis import Redis
from redis.client import PubSub
from redis.connection import AbstractConnection

log = logging.getLogger(__name__)

CHANNEL = "__redis__:invalidate"
PING_EVERY = 0.5  # seconds between PINGs while requests come
STALE_AFTER = 1.5  # seconds after a PING was sent that its PONG keeps the cache usable
PONG_TIMEOUT = 1.0  # seconds without the PONG: the channel is taken for lost
RETRY_EVERY = 1.0  # seconds between attempts to set the channel up again

# What the cache is told: the names of keys that changed, or None for all of them.
Invalidate = Callable[[list[bytes] | None], None]


class Channel(Protocol):
    """What keeps a cache true: one Redis' InvalidationChannel, or a Cluster's (one per
    primary, app/sessions/cluster_invalidations.py)."""

    def sync(self) -> bool:
        """Apply what was received (through the `invalidate` the channel was made with); True
        when the cache may be used."""
        ...

    def usable(self) -> bool:
        """Whether the cache may be used, as the last sync() left it (no I/O)."""
        ...


class InvalidationChannel:
    """This worker's subscription: `sync()` applies what Redis sent through `invalidate`
    (a list of key names, or None for all) and says whether the cache may be used.

    `make_client(set_up)` makes a RESP2 Redis client whose connections call `set_up(connection)`
    as they connect; `source` names that Redis in the logs. Not thread-safe: the cache calls
    sync() under its channel lock; usable() only reads.
    """

    def __init__(
        self,
        make_client: Callable[[Callable[[AbstractConnection], None]], Redis],
        prefixes: tuple[str, ...],
        invalidate: Invalidate,
        clock: Callable[[], float] = time.monotonic,
        source: str = "Redis",
    ):
        self.make_client = make_client
        self.source = source
        self.prefixes = prefixes
        self.invalidate = invalidate
        self.clock = clock
        self.pubsub: PubSub | None = None
        self.alive_until = 0.0  # monotonic seconds
        self.ping_sent: float | None = None
        self.next_attempt = 0.0
        self.connected = False  # set by set_up, read (and cleared) by sync
        self.working = False  # a PONG came since the channel was set up (for the logs)
        self.told = False  # the logs say the cache is off

    def set_up(self, connection: AbstractConnection) -> None:
        """redis-py's connection step, plus tracking redirected to this very connection.
        Raises ResponseError where tracking is not offered (Redis before 6, or forbidden)."""
        connection.on_connect()
        connection.send_command("CLIENT", "ID")
        own_id = connection.read_response()
        prefixes = [word for prefix in self.prefixes for word in ("PREFIX", prefix)]
        connection.send_command("CLIENT", "TRACKING", "on", "REDIRECT", own_id, "BCAST", *prefixes)
        connection.read_response()
        self.connected = True

    def sync(self) -> bool:
        """Apply every message already received, without waiting; True when the cache may be
        used. On any failure the cache is emptied and the channel set up again later."""
        now = self.clock()
        try:
            if self.pubsub is None and not self._connect(now):
                return False
            assert self.pubsub is not None
            # The PubSub's own connection (set by subscribe); redis-py types it as None.
            connection: AbstractConnection = self.pubsub.connection  # type: ignore[assignment]
            while connection.can_read(timeout=0):
                self._handle(self.pubsub.get_message(timeout=PONG_TIMEOUT))
            if self.connected:  # redis-py reconnected by itself: tracking is new
                self._reset()
            self._heartbeat(now)
        except Exception as exc:  # whatever it is, the cache cannot be trusted
            self._lost(now, exc)
            return False
        return now < self.alive_until

    def usable(self) -> bool:
        """Whether the cache may be used, as the last sync() left it (no I/O)."""
        return self.clock() < self.usable_until()

    def usable_until(self) -> float:
        """Until when the cache may be used, as the last sync() left it (monotonic seconds of
        `clock`; in the past while the channel is down)."""
        return self.alive_until if self.pubsub is not None else 0.0

    def _connect(self, now: float) -> bool:
        if now < self.next_attempt:
            return False
        self.next_attempt = now + RETRY_EVERY
        self.pubsub = self.make_client(self.set_up).pubsub()
        self.pubsub.subscribe(CHANNEL)  # connects (set_up), then subscribes
        return True

    def _reset(self) -> None:
        self.connected = False
        self.alive_until = 0.0
        self.ping_sent = None
        self.invalidate(None)

    def _handle(self, message: dict[str, Any] | None) -> None:
        if message is None:
            return
        if message["type"] == "message":
            data = message["data"]
            self.invalidate(data if isinstance(data, list) else None)
        elif message["type"] == "pong" and self.ping_sent is not None:
            self.alive_until = self.ping_sent + STALE_AFTER
            self.ping_sent = None
            if not self.working:
                log.info(
                    "session cache on: %s tracks the keys under %s", self.source, self.prefixes
                )
                self.working, self.told = True, False

    def _heartbeat(self, now: float) -> None:
        assert self.pubsub is not None
        if self.ping_sent is None:
            if now >= self.alive_until - STALE_AFTER + PING_EVERY:
                self.pubsub.ping()
                self.ping_sent = now
        elif now - self.ping_sent > PONG_TIMEOUT:
            raise TimeoutError(f"no answer to a PING in {PONG_TIMEOUT} s")

    def close(self) -> None:
        """Unsubscribe and close the channel's connection (a later sync() sets it up again)."""
        if self.pubsub is not None:
            try:
                self.pubsub.close()
            except Exception:  # the connection is gone anyway
                pass
        self.pubsub = None

    def _lost(self, now: float, exc: Exception) -> None:
        if not self.told:
            log.warning(
                "session cache off until its invalidation channel (%s) is back: %s",
                self.source,
                exc,
            )
        self.working, self.told = False, True
        self.close()
        self.next_attempt = max(self.next_attempt, now + RETRY_EVERY)
        self._reset()
