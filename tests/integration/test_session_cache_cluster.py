"""The worker's session cache on a real Redis Cluster (app/sessions/cluster_invalidations.py):
sessions on every primary served without a Redis read, and what another client changed never
served once Redis announced it: on a steady cluster, across a failover started by hand, a
killed primary, slots moved to a node added; and nothing served until the cluster serves."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
import redis
from redis.cluster import ClusterNode as StartupNode
from redis.cluster import RedisCluster

from app.redis_client import connection_options
from app.sessions.cache import SessionCache
from app.sessions.cluster_invalidations import ClusterChannel
from app.sessions.store import STARTED_AT, SessionStore
from tests.support.cluster import PRIMARIES, Cluster, ClusterNode, cluster_binaries
from tests.support.sentinel import crash
from tests.support.tools import missing

PREFIX = "test:cached:"
IDLE = 600
ABSOLUTE = 3600


@pytest.fixture(scope="module", autouse=True)
def binaries() -> None:
    if cluster_binaries() is None:
        missing("Debian's redis-server and redis-cli", "redis-server")


@pytest.fixture()
def start_cluster(tmp_path: Path) -> Iterator:
    """Start a cluster of this test's own (`replicas` per primary); all stopped after it."""
    started: list[Cluster] = []

    def start(replicas: int = 0) -> Cluster:
        cluster = Cluster(tmp_path / f"cluster-{len(started)}", replicas=replicas)
        started.append(cluster)
        return cluster.start()

    yield start
    for cluster in started:
        cluster.stop()


def startup_nodes(cluster: Cluster) -> tuple[tuple[str, int], ...]:
    return tuple(("127.0.0.1", node.port) for node in cluster.nodes[:PRIMARIES])


def client_of(cluster: Cluster) -> RedisCluster:
    nodes = [StartupNode(host, port) for host, port in startup_nodes(cluster)]
    return RedisCluster(startup_nodes=nodes, socket_timeout=2)


def make_store(nodes: tuple[tuple[str, int], ...], client: RedisCluster) -> SessionStore:
    cache = SessionCache(
        lambda invalidate: ClusterChannel(nodes, connection_options(), (PREFIX,), invalidate), 100
    )
    return SessionStore(
        client, idle_timeout=IDLE, absolute_timeout=ABSOLUTE, cache=cache, key_prefix=PREFIX
    )


def session(n: int) -> bytes:
    return msgspec.msgpack.encode({STARTED_AT: time.time(), "n": n})


def cached(store: SessionStore, sid: str) -> int | None:
    """The `n` of sid the cache would serve now (applying what Redis sent first); None when it
    would serve nothing."""
    assert store.cache is not None
    stored = store.cache.lookup(store.key(sid), time.time())[0]
    return None if stored is None else msgspec.msgpack.decode(stored)["n"]


def served(store: SessionStore, sid: str) -> bool:
    """Whether the cache would serve sid now."""
    return cached(store, sid) is not None


def warm(store: SessionStore, sid: str, timeout: float = 20.0) -> None:
    """Read sid until the cache serves it (every channel up, the entry kept), or raise."""
    deadline = time.monotonic() + timeout
    while not served(store, sid):
        assert time.monotonic() < deadline, f"{sid} was never served from the cache"
        store.open(sid)
        time.sleep(0.01)


def reads(cluster: Cluster) -> int:
    """Session reads (GET, GETEX) every live node has served so far."""
    total = 0
    for node in cluster.nodes:
        if node.proc is None:
            continue
        with redis.Redis(port=node.port, protocol=2) as client:
            stats = client.info("commandstats")
        total += sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("get", "getex"))
    return total


def sids_on_every_primary(client: RedisCluster) -> list[str]:
    """One session id per primary (its key in one of that primary's slots)."""
    by_primary: dict[str, str] = {}
    for number in range(1000):
        sid = f"sid{number}"
        by_primary.setdefault(client.get_node_from_key(PREFIX + sid).name, sid)
        if len(by_primary) == PRIMARIES:
            return list(by_primary.values())
    raise AssertionError("no key on some primary among a thousand")


def role(node: ClusterNode) -> str:
    with redis.Redis(port=node.port, protocol=2) as client:
        return client.execute_command("ROLE")[0].decode()


def replica_of(cluster: Cluster, primary: ClusterNode) -> ClusterNode:
    with redis.Redis(port=primary.port, protocol=2) as client:
        primary_id = client.cluster("myid").decode()
    for node in cluster.nodes:
        with redis.Redis(port=node.port, protocol=2) as client:
            for details in client.cluster("nodes").values():
                if "myself" in details["flags"] and details["master_id"] == primary_id:
                    return node
    raise LookupError(f"no replica of {primary.port}")


def wait_for(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not {what} after {timeout} s"
        time.sleep(0.02)


@pytest.mark.parametrize("change", ["delete", "rewrite", "expire"])
def test_sessions_on_every_primary_are_served_without_a_read_and_never_after_a_change(
    start_cluster, change
):
    cluster = start_cluster()
    other = client_of(cluster)
    store = make_store(startup_nodes(cluster), client_of(cluster))
    sids = sids_on_every_primary(other)
    for sid in sids:
        other.set(PREFIX + sid, session(0), ex=IDLE)
        warm(store, sid)
    before = reads(cluster)
    for _ in range(10):
        assert [store.open(sid)["n"] for sid in sids] == [0] * PRIMARIES
    assert reads(cluster) == before  # thirty pages, no Redis read

    for sid in sids:  # another instance signs out, refreshes, or Redis expires the session
        if change == "delete":
            other.delete(PREFIX + sid)
        elif change == "rewrite":
            other.set(PREFIX + sid, session(1), ex=IDLE)
        else:
            other.pexpire(PREFIX + sid, 1)
    if change == "expire":
        wait_for(lambda: all(not other.exists(PREFIX + sid) for sid in sids), "expired")
    opened = [store.open(sid) for sid in sids]  # at once: no sleep, no retry
    if change == "rewrite":
        assert [data["n"] for data in opened] == [1] * PRIMARIES
    else:
        assert opened == [None] * PRIMARIES


def test_a_failover_by_hand_goes_on_serving_and_never_serves_what_the_new_primary_changed(
    start_cluster,
):
    cluster = start_cluster(replicas=1)
    store = make_store(startup_nodes(cluster), client_of(cluster))
    sid = sids_on_every_primary(client_of(cluster))[0]
    client_of(cluster).set(PREFIX + sid, session(0), ex=IDLE)
    warm(store, sid)
    primary = cluster.node_of(PREFIX + sid)
    replica = replica_of(cluster, primary)
    with redis.Redis(port=replica.port, protocol=2) as promoted:
        promoted.execute_command("CLUSTER", "FAILOVER")
        wait_for(lambda: role(replica) == "master", "promoted", timeout=10)
        promoted.set(PREFIX + sid, session(1), ex=IDLE)  # the moment it is the primary
    # (Not store.open: until the old primary learns that it is a replica, it answers reads of
    # its slots with what it holds, the cluster's own window.)
    assert cached(store, sid) in (None, 1)
    wait_for(lambda: role(primary) == "slave", "demoted")
    wait_for(lambda: store.open(sid)["n"] == 1, "read from the new primary")
    warm(store, sid)  # the cache goes on, its channel to the new primary up all along
    with redis.Redis(port=replica.port, protocol=2) as promoted:
        promoted.set(PREFIX + sid, session(2), ex=IDLE)
    assert store.open(sid)["n"] == 2


def test_a_killed_primary_closes_the_cache_until_its_replica_took_over(start_cluster):
    cluster = start_cluster(replicas=1)
    store = make_store(startup_nodes(cluster), client_of(cluster))
    sid = sids_on_every_primary(client_of(cluster))[0]
    client_of(cluster).set(PREFIX + sid, session(0), ex=IDLE)
    warm(store, sid)
    victim = cluster.node_of(PREFIX + sid)
    replica = replica_of(cluster, victim)
    crash(victim)
    wait_for(lambda: not served(store, sid), "closed")  # silent, then flagged as failing
    wait_for(lambda: role(replica) == "master", "failed over")
    with redis.Redis(port=replica.port, protocol=2) as promoted:
        promoted.set(PREFIX + sid, session(1), ex=IDLE)
    assert store.open(sid)["n"] == 1
    # The dead primary holds no slot any more: the cache serves again without it...
    warm(store, sid)
    with redis.Redis(port=replica.port, protocol=2) as promoted:
        promoted.delete(PREFIX + sid)
    assert store.open(sid) is None
    # ...and with it once it is back, as a replica.
    index = cluster.nodes.index(victim)
    cluster.nodes[index] = victim.restarted()
    cluster.wait_until_ok()
    with redis.Redis(port=replica.port, protocol=2) as promoted:
        promoted.set(PREFIX + sid, session(2), ex=IDLE)
    warm(store, sid)
    with redis.Redis(port=replica.port, protocol=2) as promoted:
        promoted.set(PREFIX + sid, session(3), ex=IDLE)
    assert store.open(sid)["n"] == 3


def test_slots_moved_to_a_node_added_are_followed(start_cluster):
    cluster = start_cluster()
    other = client_of(cluster)
    store = make_store(startup_nodes(cluster), client_of(cluster))
    sid = sids_on_every_primary(other)[0]
    other.set(PREFIX + sid, session(0), ex=IDLE)
    warm(store, sid)
    added = cluster.add()
    cluster.move_slot(other.keyslot(PREFIX + sid), added)
    assert cluster.node_of(PREFIX + sid) is added
    with redis.Redis(port=added.port, protocol=2) as target:
        assert target.exists(PREFIX + sid) == 1  # the key moved with its slot
        target.set(PREFIX + sid, session(1), ex=IDLE)
    assert store.open(sid)["n"] == 1
    warm(store, sid)  # the added node is listened to
    with redis.Redis(port=added.port, protocol=2) as target:
        target.set(PREFIX + sid, session(2), ex=IDLE)
    assert store.open(sid)["n"] == 2


def test_nothing_is_served_from_the_cache_until_the_cluster_serves(tmp_path):
    cluster = Cluster(tmp_path / "late")  # its ports chosen, nothing listening yet
    nodes = startup_nodes(cluster)
    channel = ClusterChannel(nodes, connection_options(), (PREFIX,), lambda keys: None)
    try:
        assert not channel.sync()
        cluster.start_nodes()  # they answer, with no slot assigned
        wait_for(lambda: not channel.sync() and channel.layout is not None, "read")
        assert channel.layout is not None and channel.layout.slots_held == 0
        assert not channel.sync() and not channel.usable()
        cluster.create()
        wait_for(channel.sync, "usable")
        assert channel.usable() and channel.layout.serves()
    finally:
        cluster.stop()
