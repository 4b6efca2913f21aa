"""End-to-end fixtures: the portal under real gunicorn, the emulator and Redis, all over HTTP."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.browser import chromium
from tests.support.cluster import Cluster, cluster_binaries
from tests.support.environment import portal_environment
from tests.support.processes import AccessService, Portal, RedisServer
from tests.support.tools import missing


@pytest.fixture(scope="session")
def e2e_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def portal(redis_server, access_service, e2e_dir) -> Iterator[Portal]:
    """The portal under gunicorn (2 workers) against the session's Redis and emulator."""
    server = Portal(e2e_dir / "portal", portal_environment(redis_server.url, access_service.url))
    server.start()
    yield server
    server.stop()


@pytest.fixture()
def start_portal(e2e_dir) -> Iterator[Callable[..., Portal]]:
    """Start extra portals with their own settings; all stopped after the test."""
    started: list[Portal] = []

    def start(
        redis_url: str,
        access_service_url: str,
        workers: int = 2,
        extra_args: str = "",
        **overrides: str,
    ) -> Portal:
        server = Portal(
            e2e_dir / "portals",
            portal_environment(redis_url, access_service_url, **overrides),
            workers=workers,
            extra_args=extra_args,
        )
        started.append(server.start())
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture()
def start_access_service(e2e_dir) -> Iterator[Callable[..., AccessService]]:
    """Start extra emulators (e.g. with 5-second tokens); all stopped after the test."""
    started: list[AccessService] = []

    def start(*args: str, env: dict[str, str] | None = None) -> AccessService:
        # A directory (so a signing key) per emulator: two emulators are two issuers.
        workdir = e2e_dir / f"access-service-{len(started)}"
        service = AccessService(workdir, args=list(args), env=env)
        started.append(service.start())
        return service

    yield start
    for service in started:
        service.stop()


@pytest.fixture()
def start_redis(e2e_dir) -> Iterator[Callable[..., RedisServer]]:
    """Start extra Redis servers (e.g. to kill them); all stopped after the test."""
    started: list[RedisServer] = []

    def start(**options) -> RedisServer:
        # A fresh directory each time: a dump.rdb left by another test must not be loaded.
        server = RedisServer(Path(tempfile.mkdtemp(prefix="redis-", dir=e2e_dir)), **options)
        started.append(server.start())
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def redis_cluster(e2e_dir) -> Iterator[Cluster]:
    """A three-primary Redis Cluster for the whole session (a test that kills a node restarts
    it). Skipped without Debian's redis-server and redis-cli, except under CI=true."""
    if cluster_binaries() is None:
        missing("Debian's redis-server and redis-cli", "redis-server")
    cluster = Cluster(e2e_dir / "cluster")
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """One headless Chromium for the browser tests (tests/support/browser.py)."""
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="session")
def approval_portal(redis_server, access_service, e2e_dir) -> Iterator[Portal]:
    """The portal as a client the user must approve, so the approval page is part of the path."""
    environ = portal_environment(
        redis_server.url,
        access_service.url,
        COCOON_CLIENT_ID="approvalClientApplication",
        COCOON_CLIENT_SECRET="approvalClientApplicationSecret",
    )
    server = Portal(e2e_dir / "approval-portal", environ).start()
    yield server
    server.stop()
