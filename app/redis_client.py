"""The one Redis client of a process: REDIS_URL, Redis Sentinel or Redis Cluster.

Timeouts and retries are explicit: redis-py's defaults retry with backoff for about a second
per call, which turns a dead Redis into slow pages instead of a fast, clear 503.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

from redis import Redis
from redis.backoff import ExponentialBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.exceptions import ConnectionError, RedisClusterException, RedisError, TimeoutError
from redis.retry import Retry
from redis.sentinel import Sentinel

from config import Settings

T = TypeVar("T")

# What the portal talks to: one Redis (direct or through Sentinel) or a Redis Cluster. Both
# offer the single-key commands and the lock the portal uses.
RedisStore = Redis | RedisCluster
# What "Redis cannot be reached" looks like: a Cluster client also raises errors of its own
# that are not RedisErrors (no node covers a slot, no node answers).
REDIS_DOWN: tuple[type[Exception], ...] = (RedisError, RedisClusterException)

SOCKET_TIMEOUT = 1.0  # seconds for connect and for each reply
# No PING health check before reusing a pooled connection: redis-py runs it (with its own
# retries) inside the connect and command retries, so against a hung Redis one call waited
# 3 x 3 timeouts (10 s measured) instead of 3. A stale pooled connection fails its command
# instead, and the retry below reconnects at once. Pooled connections are health-checked by
# the kernel instead: TCP keepalive probes an idle connection after 15 s and drops a dead peer
# after 3 unanswered probes 5 s apart, at no cost to any request.
HEALTH_CHECK_INTERVAL = 0
KEEPALIVE = {
    option: value
    for option, value in (("TCP_KEEPIDLE", 15), ("TCP_KEEPINTVL", 5), ("TCP_KEEPCNT", 3))
    if hasattr(socket, option)  # Linux names; other systems keep their defaults
}


def retry() -> Retry:
    """Two quick retries (50 ms, 100 ms) ride out a failover or a restart, no more."""
    return Retry(ExponentialBackoff(cap=0.2, base=0.05), retries=2)


def connection_options() -> dict[str, Any]:
    """Socket settings of every connection to Redis (the retries are the client's)."""
    return {
        "socket_connect_timeout": SOCKET_TIMEOUT,
        "socket_timeout": SOCKET_TIMEOUT,
        "health_check_interval": HEALTH_CHECK_INTERVAL,
        "socket_keepalive": True,
        "socket_keepalive_options": {getattr(socket, k): v for k, v in KEEPALIVE.items()},
    }


def _options() -> dict[str, Any]:
    return {
        **connection_options(),
        "retry": retry(),
        "retry_on_error": [ConnectionError, TimeoutError],
    }


def make_redis(settings: Settings) -> RedisStore:
    """A client for REDIS_URL, for the Sentinel-elected master when REDIS_SENTINELS is set, or
    for the cluster when REDIS_CLUSTER_NODES is (a LazyCluster: made at its first use). Does
    no I/O: a Redis that does not answer yet is found out by the first request."""
    if settings.redis_cluster_nodes:
        nodes = settings.redis_cluster_nodes
        # Typed as what it stands for: every attribute is the RedisCluster's own.
        return cast(RedisCluster, LazyCluster(lambda: make_cluster(nodes)))
    return make_single_redis(settings)


def make_cluster(nodes: tuple[tuple[str, int], ...], **options: Any) -> RedisCluster:
    """A RedisCluster client for the cluster that some of `nodes` (host, port) belong to;
    `options` are added to every connection's.

    Raises RedisClusterException when no node answers; IndexError (redis-py's) when the
    cluster has no slot assigned yet: unlike the others, a Cluster client asks for the
    cluster's layout as it is made (LazyCluster turns both into a ClusterNotReady)."""
    return RedisCluster(
        startup_nodes=[ClusterNode(host, port) for host, port in nodes],
        # A dead primary's slots fail fast (connection refused, then two quick retries);
        # the other primaries' sessions are served meanwhile.
        retry=retry(),
        require_full_coverage=False,
        **connection_options(),
        **options,
    )


class ClusterNotReady(RedisClusterException):
    """No client for the Redis Cluster could be made yet: no node answers, or no slot is
    assigned (pods start in any order). One of REDIS_DOWN: a 503 page, an unready /readyz."""


class MadeOnUse(Generic[T]):
    """What `make()` makes (a Redis Cluster client, or a store on one), made at its first use
    rather than at start-up, and made again at a later use for as long as that fails: at most
    once every RETRY_EVERY seconds, a use meanwhile raising ClusterNotReady at once.

    redis-py's RedisCluster reads the cluster's layout in its constructor: made at start-up
    against a cluster whose nodes do not answer yet, or whose slots are not assigned yet, it
    raises (an IndexError for the latter), and every gunicorn worker would die at boot."""

    RETRY_EVERY = 1.0  # seconds

    def __init__(self, make: Callable[[], T], clock: Callable[[], float] = time.monotonic):
        self.make = make
        self.clock = clock
        self.making = threading.Lock()
        self.made: T | None = None
        self.failed_at: float | None = None  # monotonic seconds
        self.failure = ""

    def get(self) -> T:
        """What make() made, made now if need be. Raises ClusterNotReady."""
        made = self.made
        if made is None:
            with self.making:  # one thread makes it; the others wait for what it made
                made = self.made if self.made is not None else self.make_now()
        return made

    def make_now(self) -> T:
        """make(), unless it failed less than RETRY_EVERY seconds ago. Raises ClusterNotReady."""
        now = self.clock()
        if self.failed_at is not None and now < self.failed_at + self.RETRY_EVERY:
            raise ClusterNotReady(f"Redis Cluster not ready: {self.failure}")
        try:
            self.made = made = self.make()
        except IndexError as exc:  # redis-py's, when the cluster has no slot assigned
            self.failed_at, self.failure = now, "no slot is assigned yet"
            raise ClusterNotReady(f"Redis Cluster not ready: {self.failure}") from exc
        except REDIS_DOWN as exc:
            self.failed_at, self.failure = now, str(exc)
            raise ClusterNotReady(f"Redis Cluster not ready: {self.failure}") from exc
        return made


class LazyCluster:
    """A RedisCluster client made at its first use (MadeOnUse): until it can be made, every
    use raises ClusterNotReady; from then on every attribute is the client's own, and
    redis-py follows the cluster's layout by itself."""

    def __init__(self, make: Callable[[], RedisCluster]):
        # A private name: a public one could hide one of the client's (`lock` would).
        self._client = MadeOnUse(make)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # not the client's API (copy and pickle probe for these)
            raise AttributeError(name)
        return getattr(self._client.get(), name)


def make_single_redis(settings: Settings, **options: Any) -> Redis:
    """A client for REDIS_URL or the Sentinel-elected master (not for a Cluster); `options` are
    added to every connection's (e.g. the protocol)."""
    if settings.redis_sentinels:
        sentinel = Sentinel(
            list(settings.redis_sentinels),
            sentinel_kwargs={
                "socket_connect_timeout": SOCKET_TIMEOUT,
                "socket_timeout": SOCKET_TIMEOUT,
            },
            **_options(),
            **options,
        )
        return sentinel.master_for(settings.redis_sentinel_master)
    return Redis.from_url(settings.redis_url, **_options(), **options)
