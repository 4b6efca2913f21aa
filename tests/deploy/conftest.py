"""The deployment for real (`make test-deploy`, not part of `make test`): the image built from the
Dockerfile and docker-compose.yml's `dev` profile run as written, with podman (see
tests/support/podman.py for how, on a machine that reaches no image registry)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.support.browser import chromium
from tests.support.podman import Podman, Stack, exclusive_cache
from tests.support.processes import ROOT

# The services of the `dev` profile that have a health check (the portal's is the image's).
HEALTH_CHECKED = ("redis", "portal", "access-service")


# What each phase took, and where the logs are: printed at the end of the run.
PHASES: list[str] = []


def report(line: str) -> None:
    """A line for the summary at the end of pytest's output."""
    PHASES.append(line)


def pytest_terminal_summary(terminalreporter) -> None:
    if PHASES:
        terminalreporter.section("deployment")
        for line in PHASES:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def podman() -> Iterator[Podman]:
    """The test's podman, its stand-in images made (or found in the cache)."""
    with exclusive_cache() as podman:
        started = time.monotonic()
        podman.make_stand_ins()
        report(f"deploy: stand-in images ready in {time.monotonic() - started:.0f} s")
        yield podman


@pytest.fixture(scope="session")
def portal_image(podman) -> str:
    """The portal's image, built from the Dockerfile as the compose file names it."""
    started = time.monotonic()
    image = podman.build_portal()
    report(f"deploy: {image} built in {time.monotonic() - started:.0f} s")
    return image


@pytest.fixture(scope="session")
def stack(podman, portal_image) -> Iterator[Stack]:
    """`podman-compose --profile dev up -d`, every health check passed; down (volumes too)
    at the end, every container's output kept in .run/test-deploy/compose.log."""
    started, stack = time.monotonic(), Stack(podman)
    try:
        podman.compose("up", "--detach")
        for service in HEALTH_CHECKED:
            stack.wait_healthy(service)
        report(f"deploy: stack up and healthy in {time.monotonic() - started:.0f} s")
        yield stack
    finally:
        log = ROOT / ".run" / "test-deploy" / "compose.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(stack.logs())
        report(f"deploy: the containers' output is in {log}")
        podman.compose("down", "--volumes", check=False)


@pytest.fixture(scope="session")
def browser():
    with chromium() as browser:
        yield browser
