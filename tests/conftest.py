"""Fixtures shared by every layer: real servers started once per test session."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.support import tools
from tests.support.processes import AccessService, RedisServer, free_port
from tests.support.reference_server import (
    PORTAL_PORTS,
    FidelityData,
    ReferenceServer,
    build_jar,
    jar_is_current,
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


# The emulator's two token response shapes (`--token-response`): a real Spring Security
# OAuth2 2.4.0 server's (`expires_in` and `scope` too), the default, and the platform
# document's four keys. Tests marked `both_token_responses` run against each; the parameter
# of the default is None, so they share the emulators every other test uses.
TOKEN_RESPONSE_PARAMS = {"spring": None, "document": "document"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run the tests marked `both_token_responses` against both token response shapes."""
    marked = metafunc.definition.get_closest_marker("both_token_responses") is not None
    if marked and "token_response" in metafunc.fixturenames:
        metafunc.parametrize(
            "token_response",
            list(TOKEN_RESPONSE_PARAMS.values()),
            ids=list(TOKEN_RESPONSE_PARAMS),
            indirect=True,
            scope="session",
        )


@pytest.fixture(scope="session")
def token_response(request: pytest.FixtureRequest) -> str:
    """The token response shape of the session's emulators: "spring" or "document"."""
    return getattr(request, "param", None) or "spring"


@pytest.fixture(scope="session")
def access_service(tmp_path_factory, token_response) -> Iterator[AccessService]:
    """The emulated access-service with its built-in demo data, for the whole session."""
    service = AccessService(
        tmp_path_factory.mktemp("access-service"), args=["--token-response", token_response]
    ).start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def shared_access_service(tmp_path_factory, token_response) -> Iterator[AccessService]:
    """The emulator as Spring with a token store: one user, client and scope get the same
    tokens in every browser (`--token-store shared`)."""
    service = AccessService(
        tmp_path_factory.mktemp("access-service-shared"),
        args=["--token-store", "shared", "--token-response", token_response],
    ).start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def short_token_access_service(tmp_path_factory, token_response) -> Iterator[AccessService]:
    """The emulator with 2-second access tokens, so a test can wait one out between calls."""
    service = AccessService(
        tmp_path_factory.mktemp("access-service-2s"),
        args=["--access-token-validity", "2", "--token-response", token_response],
    ).start()
    yield service
    service.stop()


# The real Spring server, launched as soon as the session's tests are known to need it: its JVM
# starts while the tests before them run (a built jar only; otherwise the fixture builds it).
_EARLY: dict[str, Any] = {}


def pytest_collection_finish(session) -> None:
    if tools_missing() or not jar_is_current():
        return
    if not any("reference_server" in item.fixturenames for item in session.items):
        return
    workdir = Path(tempfile.mkdtemp(prefix="reference-server-"))
    data = write_data(workdir, [free_port() for _ in range(PORTAL_PORTS)])
    _EARLY.update(workdir=workdir, data=data, server=ReferenceServer(workdir, data).launch())


def pytest_sessionfinish(session) -> None:
    if server := _EARLY.pop("server", None):
        server.stop()
    if workdir := _EARLY.pop("workdir", None):
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def fidelity_data(tmp_path_factory) -> FidelityData:
    """The clients and users both servers of a fidelity test read, with redirect URIs for
    portals on ports chosen now (tests/support/reference_server.py)."""
    if "data" in _EARLY:
        return _EARLY["data"]
    ports = [free_port() for _ in range(PORTAL_PORTS)]
    return write_data(tmp_path_factory.mktemp("fidelity"), ports)


@pytest.fixture(scope="session")
def reference_server(fidelity_data, tmp_path_factory) -> Iterator[ReferenceServer]:
    """The real Spring Security OAuth2 2.4.0 server (tests/fidelity/spring-server/), once per
    session. Skipped without java and mvn (tests/support/tools.py: a failure under CI=true)."""
    tools.command("java", "openjdk-17-jdk-headless")
    tools.command("mvn", "maven")
    server = _EARLY.get("server")
    if server is None:
        build_jar()
        server = ReferenceServer(tmp_path_factory.mktemp("reference-server"), fidelity_data)
        server.launch()
    yield server.wait_ready()
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
