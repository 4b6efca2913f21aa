"""Fixtures shared by every layer: real servers started once per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis

from tests.support.processes import AccessService, RedisServer, free_port
from tests.support.reference_server import (
    MISSING_TOOLS,
    FidelityData,
    ReferenceServer,
    build_jar,
    tools_missing,
    write_data,
)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[RedisServer]:
    """A real redis-server of our own, on a free port, for the whole session."""
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture()
def redis_client(redis_server) -> Iterator[redis.Redis]:
    """A client of the session's Redis, emptied after each test (it is ours to flush)."""
    client = redis.Redis.from_url(redis_server.url)
    yield client
    client.flushdb()
    client.close()


@pytest.fixture(scope="session")
def access_service(tmp_path_factory) -> Iterator[AccessService]:
    """The emulated access-service with its built-in demo data, for the whole session."""
    service = AccessService(tmp_path_factory.mktemp("access-service")).start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def shared_access_service(tmp_path_factory) -> Iterator[AccessService]:
    """The emulator as Spring with a token store: one user, client and scope get the same
    tokens in every browser (`--token-store shared`)."""
    service = AccessService(
        tmp_path_factory.mktemp("access-service-shared"), args=["--token-store", "shared"]
    ).start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def short_token_access_service(tmp_path_factory) -> Iterator[AccessService]:
    """The emulator with 2-second access tokens, so a test can wait one out between calls."""
    service = AccessService(
        tmp_path_factory.mktemp("access-service-2s"), args=["--access-token-validity", "2"]
    ).start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def fidelity_data(tmp_path_factory) -> FidelityData:
    """The clients and users both servers of a fidelity test read, with redirect URIs for
    portals on ports chosen now (tests/support/reference_server.py)."""
    return write_data(tmp_path_factory.mktemp("fidelity"), [free_port() for _ in range(8)])


@pytest.fixture(scope="session")
def reference_server(fidelity_data, tmp_path_factory) -> Iterator[ReferenceServer]:
    """The real Spring Security OAuth2 2.4.0 server (tests/fidelity/spring-server/), once per
    session. Skipped without java and mvn, except under CI=true, where that is a failure."""
    if tools_missing():
        if os.environ.get("CI") == "true":
            pytest.fail(MISSING_TOOLS)
        pytest.skip(MISSING_TOOLS)
    build_jar()
    server = ReferenceServer(tmp_path_factory.mktemp("reference-server"), fidelity_data).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fidelity_emulator(fidelity_data, tmp_path_factory) -> Iterator[AccessService]:
    """The emulator with the reference server's data, as Spring with a token store."""
    service = AccessService(
        tmp_path_factory.mktemp("access-service-fidelity"),
        args=["--data", str(fidelity_data.data_file), "--token-store", "shared"],
    ).start()
    yield service
    service.stop()
