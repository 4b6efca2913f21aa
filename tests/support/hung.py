"""A revocation endpoint that hangs, for the tests that the portal never waits on it."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

TOKEN_WAIT = 30.0  # seconds a test waits for what must happen (generous: a loaded machine)


class HungRevocation:
    """A revocation endpoint that holds every request until `release` is set, then 200."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.tokens: list[str] = []
        hung = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                hung.tokens.extend(parse_qs(body).get("token", []))
                hung.arrived.set()
                if hung.release.wait(2 * TOKEN_WAIT):
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/oauth/revoke"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
