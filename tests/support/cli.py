"""Running `flask --app wsgi cocoon ...` as a real subprocess, as a scheduled job would."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support.environment import DEMO_CLIENT
from tests.support.processes import ROOT, free_port


def run_cocoon(
    base_url: str,
    *args: str,
    stdin: str = "",
    client: tuple[str, str] = DEMO_CLIENT,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`flask --app wsgi cocoon ARGS` in development against the access-service at base_url,
    with the client's credentials and `env` added; the CLI must not need Redis, so REDIS_URL
    names a port nobody listens on."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("COCOON_", "PORTAL_", "FLASK_"))
    }
    environ.update(
        PORTAL_ENV="development",
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        COCOON_ACCESS_SERVICE_URL=base_url,
        COCOON_CLIENT_ID=client[0],
        COCOON_CLIENT_SECRET=client[1],
        **(env or {}),
    )
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "cocoon", *args],
        cwd=ROOT,
        env=environ,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        # No controlling terminal: a password prompt reads stdin instead of blocking on /dev/tty.
        start_new_session=True,
    )


def token_from_stdin(username: str, *options: str) -> tuple[str, ...]:
    """The arguments of `cocoon token` for username with the password on stdin."""
    return ("token", "--username", username, "--password-stdin", *options)
