"""Redis Cluster: sign-in, refresh, sign-out and rate limits on three primaries, and a primary
killed under signed-in users (its users get the 503 page, the others are served) or under the
sign-in limit's counter (sign-ins go through uncounted meanwhile)."""

from __future__ import annotations

import time

import msgspec
import pytest
import redis
import requests
from redis.cluster import ClusterNode, RedisCluster

from tests.support.auth import sign_in
from tests.support.emulator import token_requests
from tests.support.pages import SESSION_COOKIE
from tests.support.processes import wait_for_port
from tests.support.sentinel import crash

UNUSED_REDIS_URL = "redis://127.0.0.1:1/0"  # REDIS_CLUSTER_NODES wins
VALIDITY = 3  # seconds an access token lives in the refresh test
# Generous bounds on a loaded machine, in seconds: an answer during an outage (what the tests
# assert is the answer, not how fast it came), and a restarted primary's return.
OUTAGE_BOUND = 30
RECOVERY_BOUND = 60
INTERNALS = ("Traceback", "ConnectionError", "redis.exceptions", 'File "')


def cluster_client(cluster) -> RedisCluster:
    nodes = [ClusterNode("127.0.0.1", node.port) for node in cluster.nodes]
    return RedisCluster(startup_nodes=nodes, socket_timeout=1, require_full_coverage=False)


def session_key(browser: requests.Session) -> str:
    return "portal:session:" + browser.cookies.get(SESSION_COOKIE)


def profile(portal_url: str, browser: requests.Session) -> requests.Response:
    cookie = {SESSION_COOKIE: browser.cookies.get(SESSION_COOKIE)}
    return requests.get(
        portal_url + "/profile", cookies=cookie, allow_redirects=False, timeout=OUTAGE_BOUND
    )


def sign_out(portal_url: str, browser: requests.Session) -> None:
    page = browser.get(portal_url + "/profile", allow_redirects=False, timeout=10)
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = browser.post(
        portal_url + "/logout", data={"csrf_token": token}, allow_redirects=False, timeout=10
    )
    assert response.status_code == 303, response.status_code


@pytest.mark.slow
def test_sign_in_refresh_sign_out_and_rate_limits_on_a_cluster(
    redis_cluster, start_access_service, start_portal
):
    emulator = start_access_service("--access-token-validity", str(VALIDITY))
    portal = start_portal(
        UNUSED_REDIS_URL, emulator.url, REDIS_CLUSTER_NODES=redis_cluster.addresses
    )
    store = cluster_client(redis_cluster)
    limits_before = len(list(store.scan_iter("LIMITS:*")))
    browser = sign_in(portal.url)
    key = session_key(browser)
    assert profile(portal.url, browser).status_code == 200
    assert store.ttl(key) > 0
    grant = "portal:grant:" + msgspec.msgpack.decode(store.get(key))["grant"]
    sealed = store.get(grant)
    assert sealed
    # The refresh lock is named after its grant's key, as a hash tag: one slot, one primary.
    lock = "portal:refresh-lock:{" + grant + "}"
    assert store.keyslot(lock) == store.keyslot(grant)
    # The user's index of sessions (the Sessions page, Sign out everywhere) is there too.
    assert len(list(store.scan_iter("portal:user-sessions:*"))) == 1
    # The sign-in rate limit counts in the cluster too (limits' redis+cluster:// storage).
    assert len(list(store.scan_iter("LIMITS:*"))) > limits_before

    refreshes = token_requests(emulator.url, "refresh_token")
    time.sleep(VALIDITY + 0.3)
    assert profile(portal.url, browser).status_code == 200
    assert token_requests(emulator.url, "refresh_token") == refreshes + 1
    assert store.get(grant) != sealed  # the refreshed tokens, stored on the grant's primary
    assert store.exists(lock) == 0  # released

    sign_out(portal.url, browser)
    assert store.exists(key) == 0 and store.exists(grant) == 0
    assert list(store.scan_iter("portal:user-sessions:*")) == []
    assert profile(portal.url, browser).status_code == 302
    store.close()


@pytest.mark.slow
def test_the_sign_in_limit_is_skipped_while_its_counters_primary_is_down(
    redis_cluster, access_service, start_portal
):
    portal = start_portal(
        UNUSED_REDIS_URL,
        access_service.url,
        REDIS_CLUSTER_NODES=redis_cluster.addresses,
        LOGIN_RATE_LIMIT="2/hour",
    )

    def login() -> tuple[int, float]:
        started = time.monotonic()
        page = requests.get(portal.url + "/login", allow_redirects=False, timeout=OUTAGE_BOUND)
        assert not [leak for leak in INTERNALS if leak in page.text]
        return page.status_code, time.monotonic() - started

    assert [login()[0] for _ in range(3)] == [302, 302, 429]
    counter = "LIMITS:LIMITER/portal:ratelimit/127.0.0.1/auth.login/2/1/hour"
    victim = redis_cluster.node_of(counter)
    index = redis_cluster.nodes.index(victim)
    crash(victim)
    try:
        answers = [login() for _ in range(10)]
    finally:
        redis_cluster.nodes[index] = victim.restarted()
        wait_for_port(victim.port)
    redis_cluster.wait_until_ok()
    statuses = [status for status, _ in answers]
    print(f"counter's primary dead: {statuses}, slowest {max(s for _, s in answers):.2f}s")
    # Uncounted meanwhile: a sign-in whose state lands on a live primary goes through (one
    # whose state lands on the dead primary is that primary's outage, a 503 like any page).
    assert set(statuses) <= {302, 503} and 302 in statuses, statuses
    logs = portal.logs()
    assert logs.count("rate limit of auth.login skipped") == len(answers)
    assert "Traceback" not in logs
    # Back with its append-only file, the primary's counter limits sign-ins again.
    deadline = time.monotonic() + RECOVERY_BOUND
    while (status := login()[0]) != 429:
        assert status in (302, 503) and time.monotonic() < deadline, status
        time.sleep(0.2)


def grant_key(store: RedisCluster, browser: requests.Session) -> str:
    """The key of the grant (the sealed tokens) a browser's session points to."""
    return "portal:grant:" + msgspec.msgpack.decode(store.get(session_key(browser)))["grant"]


def sessions_on_two_nodes(portal_url: str, cluster) -> tuple[requests.Session, requests.Session]:
    """Two signed-in browsers: the first's session on one primary, and the second's session and
    grant (all a page reads) on the others."""
    store = cluster_client(cluster)
    first = sign_in(portal_url)
    victim = cluster.node_of(session_key(first))
    try:
        for _ in range(30):
            other = sign_in(portal_url)
            keys = (session_key(other), grant_key(store, other))
            if all(cluster.node_of(key) is not victim for key in keys):
                return first, other
    finally:
        store.close()
    raise AssertionError("thirty sign-ins in a row with a key on one primary")


@pytest.mark.slow
def test_a_dead_primary_is_an_outage_for_its_sessions_only(
    redis_cluster, access_service, start_portal
):
    portal = start_portal(
        UNUSED_REDIS_URL, access_service.url, REDIS_CLUSTER_NODES=redis_cluster.addresses
    )
    doomed, spared = sessions_on_two_nodes(portal.url, redis_cluster)
    victim = redis_cluster.node_of(session_key(doomed))
    index = redis_cluster.nodes.index(victim)
    crash(victim)  # SIGKILL; its append-only file keeps the sessions
    try:
        for _ in range(3):
            page = profile(portal.url, doomed)
            assert page.status_code == 503, (page.status_code, page.text[:300])
            assert page.headers["Retry-After"] and "Temporarily unavailable" in page.text
            assert not [leak for leak in INTERNALS if leak in page.text]
            assert profile(portal.url, spared).status_code == 200
    finally:
        redis_cluster.nodes[index] = victim.restarted()
        wait_for_port(victim.port)
    redis_cluster.wait_until_ok()
    deadline = time.monotonic() + RECOVERY_BOUND
    while (status := profile(portal.url, doomed).status_code) != 200:
        assert status == 503 and time.monotonic() < deadline, status
        time.sleep(0.2)
    assert "alex.originator@xy-company.com" in profile(portal.url, doomed).text
    with redis.Redis(port=redis_cluster.nodes[index].port, protocol=2) as node:
        assert node.exists(session_key(doomed)) == 1
