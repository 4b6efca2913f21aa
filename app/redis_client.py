"""The one Redis client of a process: REDIS_URL, Redis Sentinel or Redis Cluster.

Timeouts and retries are explicit: redis-py's defaults retry with backoff for about a second
per call, which turns a dead Redis into slow pages instead of a fast, clear 503.
"""

from __future__ import annotations

import socket
from typing import Any

from redis import Redis
from redis.backoff import ExponentialBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.exceptions import ConnectionError, RedisClusterException, RedisError, TimeoutError
from redis.retry import Retry
from redis.sentinel import Sentinel

from config import Settings

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
    for the cluster when REDIS_CLUSTER_NODES is.

    Raises RedisClusterException when no node of REDIS_CLUSTER_NODES answers: unlike the
    others, a Cluster client asks for the cluster's layout as it is made.
    """
    if settings.redis_cluster_nodes:
        return RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in settings.redis_cluster_nodes],
            # A dead primary's slots fail fast (connection refused, then two quick retries);
            # the other primaries' sessions are served meanwhile.
            retry=retry(),
            require_full_coverage=False,
            **connection_options(),
        )
    return make_single_redis(settings)


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
