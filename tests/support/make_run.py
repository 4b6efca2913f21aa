"""`make run` itself, as a person starts it, with its three ports moved to free ones."""

from __future__ import annotations

import os
import re
from pathlib import Path

from tests.support.processes import Process, free_port, wait_for_http, wait_for_port

# What a new terminal does not have: the portal's settings (a test run may carry some).
SETTING_PREFIXES = ("COCOON_", "PORTAL_", "FLASK_", "GUNICORN_", "REDIS_", "SESSION_", "HTTP_")
SETTING_NAMES = {
    "SECRET_KEY",
    "TOKEN_ENCRYPTION_KEYS",
    "TOKEN_REFRESH_LEEWAY",
    "TRUSTED_HOSTS",
    "FORWARDED_ALLOW_IPS",
    "PROXY_HOPS",
    "LOGIN_RATE_LIMIT",
    "METRICS_ALLOWED_IPS",
    "LOG_LEVEL",
    "WEB_CONCURRENCY",
    "PROMETHEUS_MULTIPROC_DIR",
    "PORT",
    "ACCESS_SERVICE_PORT",
}


def fresh_terminal_environ(venv_bin: Path) -> dict[str, str]:
    """This process's environment as a new terminal would have it: no portal setting, and the
    virtualenv not activated."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(SETTING_PREFIXES) and key not in SETTING_NAMES
    }
    environ.pop("VIRTUAL_ENV", None)
    path = [entry for entry in environ.get("PATH", "").split(os.pathsep) if entry]
    environ["PATH"] = os.pathsep.join(p for p in path if Path(p).resolve() != venv_bin.resolve())
    return environ


def distinct_free_ports(count: int) -> list[int]:
    """count free loopback ports, all different."""
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


class MakeRun(Process):
    """`make run PORT=... ACCESS_SERVICE_PORT=... REDIS_PORT=...` in the repository's root."""

    def __init__(
        self, root: Path, log_path: Path, venv_bin: Path, make_options: tuple[str, ...] = ()
    ):
        portal, access_service, redis = distinct_free_ports(3)
        self.ports = {"PORT": portal, "ACCESS_SERVICE_PORT": access_service, "REDIS_PORT": redis}
        moved = [f"{name}={port}" for name, port in self.ports.items()]
        command = ["make", "--no-print-directory", *make_options, "run", *moved]
        super().__init__(command, cwd=root, log_path=log_path)
        self.env = fresh_terminal_environ(venv_bin)

    @property
    def portal_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['PORT']}"

    @property
    def access_service_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['ACCESS_SERVICE_PORT']}"

    def start(self) -> MakeRun:
        super().start()

        def ready() -> None:
            wait_for_port(self.ports["REDIS_PORT"], timeout=60)
            wait_for_http(self.access_service_url + "/api/oauth/token_key", 60, proc=self.proc)
            wait_for_http(self.portal_url + "/healthz", timeout=60, proc=self.proc)

        self.started_when(ready)
        return self

    def banner_url(self) -> str | None:
        """The portal URL `make run` printed."""
        found = re.search(r"Cocoon Portal\s+(http://\S+)", self.logs())
        return found.group(1) if found else None

    def descendants(self) -> set[int]:
        """Every process below `make` (honcho, its readers, the servers and their workers)."""
        assert self.proc is not None
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        found, frontier = set(), {self.proc.pid}
        while frontier:
            children = {pid for pid, parent in parents.items() if parent in frontier}
            frontier = children - found
            found |= children
        return found
