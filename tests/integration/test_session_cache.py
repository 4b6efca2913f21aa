"""The worker's session cache (app/sessions/cache.py) against a real Redis: what Redis says
changed is never served, a lost channel empties and bypasses the cache, the timeouts hold."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import msgspec
import pytest
from redis import Redis

from app.sessions import invalidations
from app.sessions.cache import SessionCache
from app.sessions.invalidations import InvalidationChannel
from app.sessions.store import STARTED_AT, SessionStore
from tests.support.processes import RedisServer

PREFIX = "test:cached:"
IDLE = 600  # the slide step is then 60 s
ABSOLUTE = 3600


def make_store(url: str, clock, size: int = 100, **redis_options) -> SessionStore:
    def make_client(set_up):
        return Redis.from_url(url, protocol=2, redis_connect_func=set_up, **redis_options)

    return SessionStore(
        Redis.from_url(url),
        idle_timeout=IDLE,
        absolute_timeout=ABSOLUTE,
        cache=SessionCache(
            lambda invalidate: InvalidationChannel(make_client, (PREFIX,), invalidate), size
        ),
        key_prefix=PREFIX,
        clock=clock,
    )


def warm(store: SessionStore, sid: str, timeout: float = 5.0) -> None:
    """Read sid until it is served from the cache (the channel up, the entry kept), or raise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        store.open(sid)
        if store.cache.lookup(store.key(sid), store.clock())[0] is not None:
            return
        time.sleep(0.01)
    raise TimeoutError(f"{sid} was never served from the cache")


def reads(client: Redis) -> int:
    stats = client.info("commandstats")
    return sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("get", "getex"))


@pytest.fixture()
def store(redis_server, redis_client, clock) -> Iterator[SessionStore]:
    yield make_store(redis_server.url, clock)


def session(clock, **values) -> bytes:
    return msgspec.msgpack.encode({STARTED_AT: clock(), "tokens": b"sealed", **values})


def test_a_session_read_once_is_served_without_a_redis_call(store, redis_client, clock):
    redis_client.set(PREFIX + "a", session(clock), ex=IDLE)
    warm(store, "a")
    before = reads(redis_client)
    for _ in range(20):
        assert store.open("a")["tokens"] == b"sealed"
    assert reads(redis_client) == before


@pytest.mark.parametrize("change", ["delete", "rewrite", "expire", "flushdb"])
def test_what_redis_says_changed_is_never_served(store, redis_client, clock, change):
    redis_client.set(PREFIX + "b", session(clock), ex=IDLE)
    warm(store, "b")
    if change == "delete":  # a sign-out on another instance
        redis_client.delete(PREFIX + "b")
    elif change == "rewrite":  # a refresh on another instance
        redis_client.set(PREFIX + "b", session(clock, tokens=b"refreshed"), ex=IDLE)
    elif change == "expire":  # the idle timeout, as Redis itself applies it
        redis_client.pexpire(PREFIX + "b", 1)
        time.sleep(0.01)
        assert redis_client.exists(PREFIX + "b") == 0  # expired, and now deleted
    else:
        redis_client.flushdb()
    data = store.open("b")  # at once: no sleep, no retry
    assert data == (
        {STARTED_AT: data[STARTED_AT], "tokens": b"refreshed"} if change == "rewrite" else None
    )


def test_an_evicted_session_is_never_served(tmp_path, clock):
    server = RedisServer(
        tmp_path, extra=["--maxmemory", "4mb", "--maxmemory-policy", "allkeys-lru"]
    ).start()
    try:
        store = make_store(server.url, clock)
        filler = Redis.from_url(server.url)
        filler.set(PREFIX + "c", session(clock), ex=IDLE)
        warm(store, "c")
        value = b"x" * 10_000
        for number in range(2_000):  # 20 MB into a 4 MB Redis: the session goes too
            filler.set(f"filler:{number}", value)
            if not filler.exists(PREFIX + "c"):
                break
        assert filler.exists(PREFIX + "c") == 0
        assert store.open("c") is None
    finally:
        server.stop()


def test_a_lost_channel_empties_and_bypasses_the_cache_until_it_is_back(
    store, redis_client, clock, monkeypatch
):
    monkeypatch.setattr(invalidations, "RETRY_EVERY", 0.2)
    redis_client.set(PREFIX + "d", session(clock), ex=IDLE)
    warm(store, "d")
    redis_client.client_kill_filter(_type="pubsub")
    # Changed while nobody listens: Redis cannot tell this worker any more.
    redis_client.set(PREFIX + "d", session(clock, tokens=b"changed"), ex=IDLE)
    before = reads(redis_client)
    assert store.open("d")["tokens"] == b"changed"
    assert store.cache.entries == {} and reads(redis_client) == before + 1
    warm(store, "d")  # set up again by itself
    redis_client.delete(PREFIX + "d")
    assert store.open("d") is None


def test_a_server_without_tracking_is_read_plainly(tmp_path, clock):
    server = RedisServer(tmp_path, extra=["--rename-command", "CLIENT", ""]).start()
    try:
        store = make_store(server.url, clock)
        other = Redis.from_url(server.url)
        other.set(PREFIX + "e", session(clock), ex=IDLE)
        for _ in range(3):
            assert store.open("e")["tokens"] == b"sealed"
        assert store.cache.entries == {}
        other.delete(PREFIX + "e")
        assert store.open("e") is None
    finally:
        server.stop()


def test_the_idle_timeout_slides_in_steps_and_the_absolute_one_is_exact(store, redis_client, clock):
    redis_client.set(PREFIX + "f", session(clock), ex=IDLE)
    warm(store, "f")
    redis_client.expire(PREFIX + "f", IDLE - 30)  # changed: read again, not yet slid
    store.open("f")
    assert redis_client.ttl(PREFIX + "f") <= IDLE - 30
    redis_client.expire(PREFIX + "f", IDLE - 61)  # more than a step below: slid
    store.open("f")
    assert redis_client.ttl(PREFIX + "f") >= IDLE - 1
    warm(store, "f")
    clock.advance(61)  # served from the cache no longer than a step
    before = reads(redis_client)
    store.open("f")
    assert reads(redis_client) == before + 1
    warm(store, "f")
    clock.advance(ABSOLUTE - 61 + 0.01)  # just past the absolute limit: cached or not, ended
    assert store.open("f") is None
    assert redis_client.exists(PREFIX + "f") == 0


def test_the_cache_is_bounded(redis_server, redis_client, clock):
    store = make_store(redis_server.url, clock, size=2)
    for sid in "ghi":
        redis_client.set(PREFIX + sid, session(clock), ex=IDLE)
        warm(store, sid)
    assert list(store.cache.entries) == [PREFIX + "h", PREFIX + "i"]


def test_threads_never_read_older_than_what_was_written_before_they_asked(
    store, redis_client, clock
):
    redis_client.set(PREFIX + "j", session(clock, n=0), ex=IDLE)
    warm(store, "j")
    written = [0]
    stale: list[tuple[int, int]] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            floor = written[0]
            seen = store.open("j")["n"]
            if seen < floor:
                stale.append((seen, floor))

    threads = [threading.Thread(target=reader) for _ in range(6)]
    for thread in threads:
        thread.start()
    for number in range(1, 300):
        redis_client.set(PREFIX + "j", session(clock, n=number), ex=IDLE)
        written[0] = number
        time.sleep(0.001)
    done.set()
    for thread in threads:
        thread.join()
    assert stale == []
    assert store.open("j")["n"] == 299
    assert store.cache.entries  # it was used, not bypassed throughout


def test_a_later_lookup_applies_the_channel_when_the_first_could_not(store, redis_client, clock):
    # The grant's lookup skips the channel only after its session's lookup applied it: not when
    # that one gave up waiting for the channel (another thread reading it for too long).
    redis_client.set(PREFIX + "k", session(clock), ex=IDLE)
    warm(store, "k")
    redis_client.delete(PREFIX + "k")  # announced to the channel, not applied yet
    cache = store.cache
    with cache.channel_lock:  # held: the first lookup waits LOCK_WAIT, then reads Redis
        assert cache.lookup(store.key("other"), clock()) == (None, None)
    stored, _ = cache.lookup(store.key("k"), clock(), sync=False)
    assert stored is None
