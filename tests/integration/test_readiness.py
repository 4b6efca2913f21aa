"""/readyz says ready only while Redis takes writes (issue 23, item 8): a Redis out of memory
(`maxmemory` with `noeviction`) or a read-only replica answers PING and reads, yet no one can
sign in. Real redis-servers of the test's own."""

from __future__ import annotations

import pytest
import redis

from app import create_app
from config import Settings
from tests.support.environment import portal_environment
from tests.support.processes import RedisServer


@pytest.fixture()
def own_redis(tmp_path):
    server = RedisServer(tmp_path / "primary").start()
    yield server
    server.stop()


def readiness(redis_url: str, access_service_url: str, clock) -> tuple[int, dict]:
    environ = portal_environment(redis_url, access_service_url)
    app = create_app(Settings.from_env(environ), clock=clock, testing=True)
    response = app.test_client().get("/readyz")
    return response.status_code, response.get_json()


def test_ready_while_redis_takes_writes(own_redis, access_service, clock):
    assert readiness(own_redis.url, access_service.url, clock) == (
        200,
        {"status": "ok", "redis": "up"},
    )


@pytest.mark.parametrize("policy", ["noeviction", "volatile-lru", "volatile-ttl"])
def test_not_ready_while_redis_is_out_of_memory(own_redis, access_service, clock, policy):
    """Policies that cannot evict a key without a TTL refuse writes once memory is full."""
    client = redis.Redis.from_url(own_redis.url)
    client.config_set("maxmemory-policy", policy)
    client.config_set("maxmemory", "1")  # below what Redis uses already: every write refused
    try:
        with pytest.raises(redis.exceptions.OutOfMemoryError):
            client.set("probe", "1")
        assert client.ping()  # it still answers
        status, body = readiness(own_redis.url, access_service.url, clock)
        assert (status, body["redis"]) == (503, "refuses writes")
    finally:
        client.config_set("maxmemory", "0")
    assert readiness(own_redis.url, access_service.url, clock)[0] == 200


def test_not_ready_on_a_read_only_replica(own_redis, access_service, clock, tmp_path):
    replica = RedisServer(tmp_path / "replica").start()
    try:
        client = redis.Redis.from_url(replica.url)
        client.replicaof("127.0.0.1", own_redis.port)
        assert client.ping()
        status, body = readiness(replica.url, access_service.url, clock)
        assert (status, body["redis"]) == (503, "refuses writes")
    finally:
        replica.stop()


def test_not_ready_when_redis_is_gone(own_redis, access_service, clock):
    url = own_redis.url
    own_redis.stop()
    status, body = readiness(url, access_service.url, clock)
    assert (status, body["redis"]) == (503, "down")
