"""Where the emulator keeps its state: in memory for one process, or in a shared Redis.

Codes, refresh tokens, revoked token ids, sign-in sessions, per-user account state and counters
all go through the small `Store` interface, so several gunicorn workers agree once they share a
Redis. Times to live are in seconds; `None` keeps a record until it is deleted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import msgspec
import redis

KEY_PREFIX = "access-service:"
# A change applied by `Store.update`: the current record (or None) in, the new one (or None to
# delete it) out. It may run more than once when another worker changes the record meanwhile.
Change = Callable[[dict[str, Any] | None], dict[str, Any] | None]


class Store(Protocol):
    """Expiring JSON records and counters."""

    def put(self, key: str, value: dict[str, Any], ttl: float | None) -> None:
        """Store value under key for ttl seconds (None: until deleted)."""

    def update(self, key: str, change: Change, ttl: float | None) -> dict[str, Any] | None:
        """Replace the record under key with change(record), atomically; returns the new one."""

    def get(self, key: str) -> dict[str, Any] | None:
        """The value under key, or None when absent or expired."""

    def take(self, key: str) -> dict[str, Any] | None:
        """Get and delete in one step, so only one caller ever gets a single-use value."""

    def delete(self, key: str) -> bool:
        """Delete key; True when this call removed it."""

    def incr(self, key: str) -> int:
        """Add one to a counter."""

    def counter(self, key: str) -> int:
        """A counter's value (0 when never counted)."""

    def reset_counters(self, keys: list[str]) -> None:
        """Set counters back to zero."""


class MemoryStore:
    """A Store in this process's memory, for a single process (and the unit tests)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._records: dict[str, tuple[float, bytes]] = {}
        self._counters: dict[str, int] = {}

    def put(self, key: str, value: dict[str, Any], ttl: float | None) -> None:
        """Store value under key for ttl seconds (None: until deleted)."""
        with self._lock:
            self._put(key, value, ttl)

    def update(self, key: str, change: Change, ttl: float | None) -> dict[str, Any] | None:
        """Replace the record under key with change(record), under the store's lock."""
        with self._lock:
            new = change(self._live(key, remove=False))
            if new is None:
                self._records.pop(key, None)
            else:
                self._put(key, new, ttl)
            return new

    def get(self, key: str) -> dict[str, Any] | None:
        """The value under key, or None when absent or expired."""
        with self._lock:
            return self._live(key, remove=False)

    def take(self, key: str) -> dict[str, Any] | None:
        """Get and delete in one step."""
        with self._lock:
            return self._live(key, remove=True)

    def delete(self, key: str) -> bool:
        """Delete key; True when this call removed it."""
        with self._lock:
            return self._live(key, remove=True) is not None

    def incr(self, key: str) -> int:
        """Add one to a counter."""
        with self._lock:
            self._counters[key] = self._counters.get(key, 0) + 1
            return self._counters[key]

    def counter(self, key: str) -> int:
        """A counter's value (0 when never counted)."""
        return self._counters.get(key, 0)

    def reset_counters(self, keys: list[str]) -> None:
        """Set counters back to zero."""
        with self._lock:
            for key in keys:
                self._counters.pop(key, None)

    def _put(self, key: str, value: dict[str, Any], ttl: float | None) -> None:
        """Store a record (caller holds the lock)."""
        # Encoded like the Redis store, so callers never share a mutable dict by accident.
        expires_at = float("inf") if ttl is None else self._clock() + ttl
        self._records[key] = (expires_at, msgspec.json.encode(value))

    def _live(self, key: str, remove: bool) -> dict[str, Any] | None:
        """The unexpired record under key (caller holds the lock); drops expired ones."""
        record = self._records.get(key)
        if record is None:
            return None
        expires_at, raw = record
        if remove or expires_at <= self._clock():
            del self._records[key]
        return msgspec.json.decode(raw) if expires_at > self._clock() else None


class RedisStore:
    """A Store in Redis, shared by every worker; keys carry a prefix so a Redis can be shared."""

    def __init__(self, client: redis.Redis, prefix: str = KEY_PREFIX) -> None:
        self._redis = client
        self._prefix = prefix

    def put(self, key: str, value: dict[str, Any], ttl: float | None) -> None:
        """Store value under key for ttl seconds (None: until deleted)."""
        self._redis.set(self._prefix + key, msgspec.json.encode(value), px=_millis(ttl))

    def update(self, key: str, change: Change, ttl: float | None) -> dict[str, Any] | None:
        """Replace the record under key with change(record): WATCH, read, MULTI, write, EXEC,
        again from the start if another worker wrote the key in between."""
        name = self._prefix + key
        with self._redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(name)
                    new = change(_decode(pipe.get(name)))
                    pipe.multi()
                    if new is None:
                        pipe.delete(name)
                    else:
                        pipe.set(name, msgspec.json.encode(new), px=_millis(ttl))
                    pipe.execute()
                    return new
                except redis.WatchError:
                    continue  # another worker wrote the key between our read and write

    def get(self, key: str) -> dict[str, Any] | None:
        """The value under key, or None when absent or expired."""
        return _decode(self._redis.get(self._prefix + key))

    def take(self, key: str) -> dict[str, Any] | None:
        """Get and delete in one MULTI/EXEC, atomic on every Redis version."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.get(self._prefix + key)
        pipe.delete(self._prefix + key)
        raw, _ = pipe.execute()
        return _decode(raw)

    def delete(self, key: str) -> bool:
        """Delete key; True when this call removed it."""
        return bool(self._redis.delete(self._prefix + key))

    def incr(self, key: str) -> int:
        """Add one to a counter."""
        return int(self._redis.incr(self._prefix + key))

    def counter(self, key: str) -> int:
        """A counter's value (0 when never counted)."""
        return int(self._redis.get(self._prefix + key) or 0)

    def reset_counters(self, keys: list[str]) -> None:
        """Set counters back to zero."""
        if keys:
            self._redis.delete(*(self._prefix + key for key in keys))


def _millis(ttl: float | None) -> int | None:
    """A time to live in whole milliseconds for Redis (at least 1), or None for no expiry."""
    return None if ttl is None else max(1, int(ttl * 1000))


def _decode(raw: bytes | str | None) -> dict[str, Any] | None:
    """A stored JSON record, or None."""
    return None if raw is None else msgspec.json.decode(raw)
