"""A portal with a setting that cannot work never opens its port: gunicorn stops first, with one
line naming the variable (the rest of the table is covered, value by value, in
tests/unit/test_settings.py)."""

from __future__ import annotations

import os
import runpy
import socket
import subprocess

import pytest

from tests.support.processes import ROOT, VENV_BIN, free_port

PRODUCTION = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": "refused-test-secret-key-0123456789abcdef",
    "COCOON_ACCESS_SERVICE_URL": "https://access-service.xy-company.com",
    "COCOON_CLIENT_ID": "exampleClientApplication",
    "COCOON_CLIENT_SECRET": "exampleClientApplicationSecret",
}


def start_gunicorn(environ: dict[str, str], port: int) -> subprocess.CompletedProcess[str]:
    """Run the portal's gunicorn as production would, until it exits (it must, here)."""
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k != "GUNICORN_CMD_ARGS"}
    env.update(PORTAL_BIND=f"127.0.0.1:{port}", **environ)
    return subprocess.run(
        [str(VENV_BIN / "gunicorn"), "-c", "config/gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("LOGIN_RATE_LIMIT", "banana", "LOGIN_RATE_LIMIT must be a rate such as 60/minute"),
        ("COCOON_ACCESS_SERVICE_URL", "as.example", "COCOON_ACCESS_SERVICE_URL must be an absol"),
        (
            "COCOON_ACCESS_SERVICE_URL",
            "http://as.example",
            "COCOON_ACCESS_SERVICE_URL must use https",
        ),
        # (gunicorn reads WEB_CONCURRENCY itself first, and a non-number stops it with its own
        # traceback: docs/settings.md says so.)
        ("WEB_CONCURRENCY", "0", "WEB_CONCURRENCY must be a whole number, at least 1"),
    ],
)
def test_gunicorn_refuses_before_opening_its_port(variable, value, expected):
    port = free_port()
    result = start_gunicorn({**PRODUCTION, variable: value}, port)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines == [lines[0]] and lines[0].startswith("cocoon-portal: configuration error: ")
    assert expected in lines[0]
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # never listened


def test_gunicorn_checks_its_own_variable():
    """GUNICORN_CMD_ARGS is gunicorn's: a bad value there stops it too, with its own message."""
    port = free_port()
    result = start_gunicorn({**PRODUCTION, "GUNICORN_CMD_ARGS": "--workers banana"}, port)
    assert result.returncode != 0
    assert "--workers" in result.stderr and "banana" in result.stderr


def test_development_shares_one_generated_secret_key_with_every_worker(monkeypatch):
    """No SECRET_KEY in development: the master makes one and its workers inherit it, so a form
    made by one worker is accepted by the other."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("PORTAL_ENV", "development")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(ROOT / ".run" / "unused"))
    conf = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))
    assert len(os.environ["SECRET_KEY"]) >= 32
    assert os.environ["SECRET_KEY"] == conf["settings"].secret_key
