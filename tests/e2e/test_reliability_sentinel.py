"""High-availability Redis: the portal follows a Sentinel failover and users stay signed in."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
import redis
import requests

from tests.support.auth import sign_in
from tests.support.processes import RedisServer
from tests.support.sentinel import RedisSentinel, crash, wait_for_key


@pytest.fixture()
def start_sentinel(e2e_dir) -> Iterator[Callable[..., RedisSentinel]]:
    """Start sentinels watching a master; all stopped after the test."""
    started: list[RedisSentinel] = []

    def start(master: RedisServer) -> RedisSentinel:
        sentinel = RedisSentinel(e2e_dir / f"sentinel-{master.port}", master.port)
        started.append(sentinel.start())
        return sentinel

    yield start
    for sentinel in started:
        sentinel.stop()


def sign_in_attempts(port: int) -> int:
    """The rate limiter's count of sign-ins (counted at /login), as stored in the Redis on port."""
    with redis.Redis(port=port, socket_timeout=1) as client:
        keys = client.keys("LIMITS:*auth.login*")
        return sum(int(client.get(key) or 0) for key in keys)


@pytest.mark.slow
def test_sentinel_failover_keeps_users_signed_in(
    start_redis, start_sentinel, start_access_service, start_portal
):
    master = start_redis()
    replica = start_redis(extra=["--replicaof", "127.0.0.1", str(master.port)])
    sentinel = start_sentinel(master)
    sentinel.wait_for_replicas(1)
    emulator = start_access_service()
    portal = start_portal(
        "redis://127.0.0.1:1/0",  # unused: Sentinel names the master
        emulator.url,
        REDIS_SENTINELS=sentinel.address,
        REDIS_SENTINEL_MASTER="mymaster",
    )
    browser = sign_in(portal.url)
    cookie = {"portal_session": browser.cookies.get("portal_session")}
    assert requests.get(portal.url + "/profile", cookies=cookie, timeout=5).status_code == 200
    wait_for_key(replica.port, f"portal:session:{cookie['portal_session']}")
    attempts = sign_in_attempts(replica.port)
    assert attempts >= 1

    crash(master)
    killed_at = time.monotonic()
    statuses: list[int] = []
    while time.monotonic() - killed_at < 60:  # generous: the outcome is what is asserted
        page = requests.get(
            portal.url + "/profile", cookies=cookie, allow_redirects=False, timeout=10
        )
        statuses.append(page.status_code)
        if page.status_code == 200:
            break
        assert page.status_code == 503, page.text[:300]
        assert page.headers["Retry-After"]
        time.sleep(0.2)
    outage = time.monotonic() - killed_at
    print(f"failover: {statuses.count(503)} answers of 503 over {outage:.1f}s")

    assert statuses[-1] == 200, statuses  # the same cookie, now served by the promoted replica
    assert statuses[0] == 503  # the dead master was noticed, not served from a stale cache
    assert sentinel.master_port() == replica.port
    assert requests.get(portal.url + "/readyz", timeout=5).status_code == 200
    # The rate limiter (its own Sentinel client) follows the failover too: a new sign-in works
    # and is counted on the new master, rather than the limiter silently giving up.
    again = sign_in(portal.url)
    assert again.get(portal.url + "/profile", allow_redirects=False, timeout=5).status_code == 200
    assert sign_in_attempts(replica.port) == attempts + 1
