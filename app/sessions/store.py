"""Sessions in Redis: one msgpack value per session, under `portal:session:<id>`.

- The idle timeout is the key's TTL. Without a cache, reading a session slides it in the same
  call (GETEX). With the worker's cache (app/sessions/cache.py), a page served from the cache
  asks Redis nothing, and a read from Redis slides the TTL only when it has fallen more than
  `slide_step` seconds below the idle timeout: each slide is a change, which Redis announces to
  every worker, so sliding on every read would empty every cache at once.
- The absolute timeout counts from sign-in (`STARTED_AT`), checked on every read, cached or
  not; the TTL never outlives it.
Times are epoch seconds of `clock`. Every method raises any of REDIS_DOWN (app/redis_client.py)
when Redis cannot be reached.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from app.redis_client import RedisStore
from app.sessions.cache import SessionCache, Ticket

log = logging.getLogger(__name__)

KEY_PREFIX = "portal:session:"
# When the current sign-in began (epoch seconds): the absolute timeout counts from here.
STARTED_AT = "_started_at"
MAX_SLIDE_STEP = 60.0  # seconds; a tenth of the idle timeout when that is shorter


class SessionStore:
    """Read, write and delete sessions by id, with an optional cache in front."""

    def __init__(
        self,
        client: RedisStore,
        *,
        idle_timeout: float,
        absolute_timeout: float,
        cache: SessionCache | None = None,
        key_prefix: str = KEY_PREFIX,
        clock: Callable[[], float] = time.time,
    ):
        self.client = client
        self.idle_timeout = int(idle_timeout)
        self.absolute_timeout = absolute_timeout
        self.slide_step = min(MAX_SLIDE_STEP, idle_timeout / 10)
        self.cache = cache
        self.key_prefix = key_prefix
        self.clock = clock
        self.encoder = msgspec.msgpack.Encoder()
        self.decoder = msgspec.msgpack.Decoder(dict[str, Any])

    def key(self, sid: str) -> str:
        """The Redis key of session `sid`."""
        return self.key_prefix + sid

    def open(self, sid: str, *, slide: bool = True) -> dict[str, Any] | None:
        """The data of session `sid` for a request, its idle timeout slid (unless not `slide`:
        a request that is no person's activity reads it as it is); None when there is none, it
        cannot be decoded, or its absolute limit has passed (it is then deleted)."""
        now = self.clock()
        stored, ticket = self.cache.lookup(self.key(sid), now) if self.cache else (None, None)
        if stored is not None:
            data = self._decode(stored)
        elif not slide:
            data = self.load(sid)
        elif ticket is not None:
            data = self._read_tracked(sid, now, ticket)
        else:
            data = self._read_sliding(sid, now)
        if data is not None and self._remaining(data, now) <= 0:
            self.delete(sid)
            return None
        return data

    def _read_sliding(self, sid: str, now: float) -> dict[str, Any] | None:
        """GETEX: read and slide at once, then cut the TTL at the absolute limit."""
        data = self._decode(self.client.getex(self.key(sid), ex=self.idle_timeout))
        remaining = self._remaining(data, now) if data is not None else math.inf
        if 0 < remaining < self.idle_timeout:  # the last idle period before the absolute limit
            self.client.expire(self.key(sid), max(1, int(remaining)))
        return data

    def _read_tracked(self, sid: str, now: float, ticket: Ticket) -> dict[str, Any] | None:
        """GET and PTTL in one round trip, changing nothing; slide only when due, else keep
        what was read in the cache until the slide is due."""
        assert self.cache is not None
        pipeline = self.client.pipeline(transaction=False)
        pipeline.get(self.key(sid))
        pipeline.pttl(self.key(sid))
        stored, ttl_ms = pipeline.execute()
        data = self._decode(stored)
        remaining = self._remaining(data, now) if data is not None else 0
        if remaining <= 0:
            return data  # none, or past its absolute limit: open() deletes it
        target = min(self.idle_timeout, remaining)
        ttl = max(0, ttl_ms) / 1000
        # Slid when due, cut when it would outlive the absolute limit (a second's leeway for
        # the rounding up). Not kept: Redis announces our own change too.
        if ttl < target - self.slide_step or ttl > target + 1:
            self.client.expire(self.key(sid), max(1, math.ceil(target)))
        else:
            self.cache.keep(self.key(sid), ticket, stored, now + ttl - (target - self.slide_step))
        return data

    def load(self, sid: str) -> dict[str, Any] | None:
        """The stored data of session `sid` (None when there is none), from Redis itself and
        with its TTL untouched: for the refresh lock, which re-reads the stored copy."""
        return self._decode(self.client.get(self.key(sid)))

    def store(self, sid: str, data: Mapping[str, Any], *, existing_only: bool = False) -> bool:
        """Write `data` as session `sid` at once, with a TTL of the idle timeout cut at the
        absolute limit; with `existing_only`, only if the session still exists (a session
        deleted meanwhile is not brought back). True when written."""
        ttl = min(float(self.idle_timeout), self._remaining(data, self.clock()))
        written = self.client.set(
            self.key(sid),
            self.encoder.encode(dict(data)),
            ex=max(1, int(ttl)),
            xx=existing_only,
        )
        if self.cache is not None:
            self.cache.discard(self.key(sid))
        return bool(written)

    def delete(self, sid: str) -> None:
        """Delete session `sid` at once, so a sign-out holds even if the request fails later."""
        self.client.delete(self.key(sid))
        if self.cache is not None:
            self.cache.discard(self.key(sid))

    def _remaining(self, data: Mapping[str, Any], now: float) -> float:
        """Seconds until the absolute limit; infinite when not signed in."""
        started_at = data.get(STARTED_AT)
        if not isinstance(started_at, int | float):
            return math.inf
        return started_at + self.absolute_timeout - now

    def _decode(self, raw: Any) -> dict[str, Any] | None:
        if raw is None:
            return None
        try:
            return self.decoder.decode(raw)
        # Not written by this store (msgspec raises UnicodeDecodeError for a string that is not
        # UTF-8): treat as absent.
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            log.warning("ignoring a session that cannot be decoded: %s", exc)
            return None
