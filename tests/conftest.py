"""Fixtures shared by every layer: real servers started once per test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from tests.support.processes import AccessService, RedisServer


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
