"""The one Redis connection pool of a process, from REDIS_URL or Redis Sentinel.

Timeouts and retries are explicit: redis-py's defaults retry with backoff for about a second
per call, which turns a dead Redis into slow pages instead of a fast, clear 503.
"""

from __future__ import annotations

import socket

from redis import Redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, TimeoutError
from redis.retry import Retry
from redis.sentinel import Sentinel

from config import Settings

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


def _options() -> dict:
    return {
        "socket_connect_timeout": SOCKET_TIMEOUT,
        "socket_timeout": SOCKET_TIMEOUT,
        # Two quick retries (50 ms, 100 ms) ride out a failover or a restart, no more.
        "retry": Retry(ExponentialBackoff(cap=0.2, base=0.05), retries=2),
        "retry_on_error": [ConnectionError, TimeoutError],
        "health_check_interval": HEALTH_CHECK_INTERVAL,
        "socket_keepalive": True,
        "socket_keepalive_options": {getattr(socket, k): v for k, v in KEEPALIVE.items()},
    }


def make_redis(settings: Settings) -> Redis:
    """A client for REDIS_URL, or for the Sentinel-elected master when REDIS_SENTINELS is set."""
    if settings.redis_sentinels:
        sentinel = Sentinel(
            list(settings.redis_sentinels),
            sentinel_kwargs={
                "socket_connect_timeout": SOCKET_TIMEOUT,
                "socket_timeout": SOCKET_TIMEOUT,
            },
            **_options(),
        )
        return sentinel.master_for(settings.redis_sentinel_master)
    return Redis.from_url(settings.redis_url, **_options())
