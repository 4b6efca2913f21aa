"""Fixtures for the emulator's tests: the session emulator, a browser, a rotating emulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.access_service.helpers import ALEX, Browser, write_data
from tests.access_service.inprocess import Emulator
from tests.support.processes import AccessService


@pytest.fixture()
def emulator(tmp_path) -> Emulator:
    """An emulator of the test's own, in-process, on the demo data (a module may override it)."""
    return Emulator(tmp_path)


@pytest.fixture()
def alex(emulator) -> str:
    """An access token of the demo user, who holds every authority, from `emulator`."""
    return emulator.password_grant(ALEX)["access_token"]


@pytest.fixture()
def url(access_service) -> str:
    """The session emulator's base URL."""
    return access_service.url


@pytest.fixture()
def browser(url) -> Browser:
    """A fresh browser (no cookies) pointed at the session emulator."""
    return Browser(url)


@pytest.fixture(scope="module")
def rotating_service(tmp_path_factory) -> Iterator[AccessService]:
    """An emulator whose extra client `rotatingClient` rotates refresh tokens."""
    workdir = tmp_path_factory.mktemp("rotating")
    data = write_data(workdir / "data.json", reuse_refresh_token=False)
    service = AccessService(workdir, args=["--data", str(data)]).start()
    yield service
    service.stop()
