"""Rate limits, checked by the one view each applies to (only /login today) and by no other.

A limit is counted per client address (the one TrustedProxyFix vouches for) with the `limits`
library's fixed-window strategy: one counter in Redis per address and rate, made by the first
request of a window and expiring with it (a window of a minute starts at that first request). A
request of any other view runs none of this.

The counters are the keys flask-limiter wrote for the portal's earlier releases, so an upgrade
keeps counting the windows under way:
`LIMITS:LIMITER/portal:ratelimit/<address>/<view>/<amount>/<multiples>/<period>` (the storage's
`LIMITS:` first, then the limit's own name; none is under `portal:`, so the session's keys are
counted without them).
"""

from __future__ import annotations

import logging
import time

from limits import RateLimitItem, parse_many
from limits.storage import RedisStorage, StorageTypes, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from app.redis_client import REDIS_DOWN, SOCKET_TIMEOUT, MadeOnUse, make_single_redis
from config import Settings

log = logging.getLogger(__name__)

KEY_PREFIX = "portal:ratelimit"
# What a request without a client address (a unix socket and no trusted proxy) is counted as.
NO_ADDRESS = "127.0.0.1"
# A counter's reset time comes from its Redis TTL, which Redis gives in whole seconds (rounded):
# the second added keeps a Retry-After from ever being early.
TTL_ROUNDING = 1.0  # seconds


class RateLimited(TooManyRequests):
    """A request over a limit (a 429). `limit` is the rate exceeded (limits' RateLimitItem:
    `amount` per `multiples` of its GRANULARITY's `name`), `reset_at` when its window ends and the
    next request is let through (epoch seconds, at the latest)."""

    def __init__(self, limit: RateLimitItem, reset_at: float):
        super().__init__()
        self.limit = limit
        self.reset_at = reset_at


def storage(settings: Settings) -> StorageTypes | MadeOnUse[StorageTypes]:
    """The counters' store: the portal's Redis or its Sentinel-elected master, through a pool of
    app/redis_client.py's (its timeouts, keepalive and master-following; any REDIS_URL it
    takes, unix:// too); or its Cluster, with a client of limits' own (connect and reply
    timeouts of SOCKET_TIMEOUT seconds), made at the first sign-in rather than at start-up
    (a Cluster's client reads the cluster's layout as it is made: see MadeOnUse). No I/O.
    """
    if settings.redis_cluster_nodes:
        nodes = ",".join(f"{host}:{port}" for host, port in settings.redis_cluster_nodes)
        return MadeOnUse(
            lambda: storage_from_string(
                f"redis+cluster://{nodes}",
                socket_connect_timeout=SOCKET_TIMEOUT,
                socket_timeout=SOCKET_TIMEOUT,
            )
        )
    # limits reads only the scheme of the URI when it is given a pool.
    return RedisStorage("redis://", connection_pool=make_single_redis(settings).connection_pool)


class RateLimit:
    """The limit of one view: one or more rates (`120/minute;2000/hour`, limits' notation, as
    config/parsers.py's rate_limit accepts it), each counted per client address in `store`
    (one made at first use: see MadeOnUse). `view` names the counters (the view's endpoint,
    `auth.login`)."""

    def __init__(self, rates: str, store: StorageTypes | MadeOnUse[StorageTypes], view: str):
        # Shortest window first (by its length in seconds): a request refused by it is not
        # counted against the longer ones.
        self.rates = sorted(parse_many(rates), key=lambda rate: rate.get_expiry())
        self.limiter = MadeOnUse(
            lambda: FixedWindowRateLimiter(store.get() if isinstance(store, MadeOnUse) else store)
        )
        self.view = view

    @property
    def strategy(self) -> FixedWindowRateLimiter:
        """The fixed-window counting on the store. Raises ClusterNotReady (one of REDIS_DOWN)
        while a Cluster's store cannot be made."""
        return self.limiter.get()

    def hit(self, address: str | None, cost: int = 1) -> None:
        """Count `cost` requests from `address` against each rate in turn.

        Raises RateLimited at the first rate the count goes over. A cost of 0 counts nothing
        but is still refused while the address is already over a rate. When Redis cannot be
        reached the limit is skipped: one line is logged and nothing is raised.
        """
        names = (KEY_PREFIX, address or NO_ADDRESS, self.view)
        try:
            for rate in self.rates:
                if not self.strategy.hit(rate, *names, cost=cost):
                    log.info("rate limit of %s exceeded: %s", self.view, rate)
                    raise RateLimited(rate, self.reset_at(rate, names))
        except REDIS_DOWN as exc:
            log.error("rate limit of %s skipped, its Redis is unreachable: %s", self.view, exc)

    def reset_at(self, rate: RateLimitItem, names: tuple[str, ...]) -> float:
        """When rate's current window for `names` ends (epoch seconds, at the latest); a whole
        window from now if Redis cannot say."""
        try:
            return self.strategy.get_window_stats(rate, *names).reset_time + TTL_ROUNDING
        except REDIS_DOWN:
            return time.time() + rate.get_expiry()
