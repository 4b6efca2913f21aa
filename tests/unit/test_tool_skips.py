"""Skips that cannot hide: every test that needs a tool pip cannot install asks
tests/support/tools.py for it, which fails under CI=true, and `.ci/run` installs them all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support import tools
from tests.support.browser import CHROMIUM

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
# Ways to skip a test other than tools.missing; spelled in two halves so this file has none.
SKIPS = re.compile("pytest[.]skip[(]|skip" + "if|importor" + "skip|mark[.]skip\\b")


def suite_sources() -> dict[Path, str]:
    return {path: path.read_text() for path in sorted(TESTS.rglob("*.py"))}


def test_a_missing_tool_skips_on_a_developers_machine(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install curl"):
        tools.missing("curl", "curl")


def test_a_missing_tool_fails_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install a-package"):
        tools.missing("a tool", "a-package")
    with pytest.raises(pytest.fail.Exception, match="no-such-command-here is missing"):
        tools.command("no-such-command-here")


def test_every_skip_for_a_tool_goes_through_tools():
    sources = suite_sources()
    assert len(sources) > 50
    found = [
        f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}"
        for path, text in sources.items()
        if path != Path(tools.__file__)
        for match in SKIPS.finditer(text)
    ]
    assert found == []


def test_ci_installs_every_package_the_suite_asks_for():
    asked = set()
    for path, text in suite_sources().items():
        if path == Path(__file__):
            continue  # its examples ask for tools that do not exist
        asked |= set(re.findall(r"\bmissing\(.+?,\s*\"([\w-]+)\"\)", text))
        for name, package in re.findall(r"\bcommand\(\"([\w-]+)\"(?:,\s*\"([\w-]+)\")?\)", text):
            asked.add(package or name)
    assert asked == {
        "chromium",
        "curl",
        "nginx",
        "redis-server",
        "openjdk-17-jdk-headless",
        "maven",
        # tests/deploy: podman and what it runs on (tests/support/podman.py)
        "podman",
        "runc",
        "iptables",
        "debootstrap",
        "netavark",
        "aardvark-dns",
    }
    ci = (ROOT / ".ci" / "run").read_text()
    assert {package for package in asked if f"missing+=({package})" not in ci} == set()
    # The browser tests want Debian's Chromium at that very path, not any `chromium` on PATH.
    assert f"[ -x {CHROMIUM} ] || missing+=(chromium)" in ci
