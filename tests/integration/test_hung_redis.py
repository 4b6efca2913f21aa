"""A hung Redis (it accepts connections and never answers): how often one call waits it out.

What the end-to-end outage tests (tests/e2e/test_reliability.py) once bounded with a stopwatch,
counted instead: every command the hung server receives is one SOCKET_TIMEOUT waited, however
fast or loaded the machine.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
import redis

from app.redis_client import make_single_redis
from config import Settings
from tests.support.environment import portal_environment


class HungRedis:
    """Accepts connections, reads what is sent, answers nothing; keeps the commands' names."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"redis://127.0.0.1:{self.sock.getsockname()[1]}/0"
        self.commands: list[bytes] = []
        self.connections: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return  # closed
            self.connections.append(connection)
            threading.Thread(target=self._read, args=(connection,), daemon=True).start()

    def _read(self, connection: socket.socket) -> None:
        while True:
            try:
                data = connection.recv(65536)
            except OSError:
                return
            if not data:
                return
            # One RESP array per command, `*<count>\r\n$<length>\r\n<name>\r\n...`: its names.
            with self._lock:
                self.commands += [part.split(b"\r\n")[2] for part in data.split(b"*")[1:]]

    def close(self) -> None:
        self.sock.close()
        for connection in self.connections:
            connection.close()


@pytest.fixture()
def hung() -> Iterator[HungRedis]:
    server = HungRedis()
    yield server
    server.close()


def test_one_call_waits_once_per_attempt_not_nested_retries(hung):
    client = make_single_redis(Settings.from_env(portal_environment(hung.url, "http://x")))
    with pytest.raises(redis.TimeoutError):
        client.get("portal:session:x")
    # Each of the three attempts (the first and retry()'s two) sends its new connection's
    # handshake and waits for it once: three timeouts. A PING health check, with retries of
    # its own nested inside, made it nine (10 s measured).
    assert len(hung.commands) == 3, hung.commands
    assert b"PING" not in hung.commands
    client.close()
