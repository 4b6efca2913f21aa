"""The tools the suite needs that pip cannot install (Debian packages, which `.ci/run` installs):
every test that needs one asks here. Without it the test is skipped on a developer's machine,
and fails under CI=true, where a skip would hide that the tool was never installed."""

from __future__ import annotations

import os
import shutil
from typing import NoReturn

import pytest


def missing(what: str, package: str) -> NoReturn:
    """Skip the test, saying `what` is missing and which Debian `package` brings it; under
    CI=true fail it instead."""
    message = f"{what} is missing: apt-get install {package} (.ci/run does)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def command(name: str, package: str | None = None) -> str:
    """The path of the command `name` on PATH; else missing(name, package or name)."""
    found = shutil.which(name)
    if found is None:
        missing(name, package or name)
    return found
