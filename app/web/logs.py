"""Logs as one JSON object per line on stdout: application logs and one line per request.

No token, code, state, secret or cookie is ever logged: request paths are logged with the query
string of the sign-in callback redacted, and users appear only as a keyed hash.
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import io
import logging
import os
import secrets
import select
import sys
import threading
import time
from functools import lru_cache
from typing import IO, Any

from flask import Flask, has_request_context, request

from app.web.metrics import latency, request_counter
from config.log_format import JsonFormatter, json_line

# Query strings that carry secrets (code, state, tokens) are never logged.
REDACTED_PATHS = ("/authcallback",)
REQUEST_ID = "X-Request-ID"
ACCESS_LOGGER = "portal.access"
# What the app leaves in the WSGI environ for the access line.
REQUEST_ID_KEY = "portal.request_id"
USER_KEY = "portal.user"
ROUTE_KEY = "portal.route"
UNMATCHED = "unmatched"


def redacted_path(path: str, query: str) -> str:
    """path?query, with the query replaced when it may carry secrets."""
    if not query:
        return path
    if path in REDACTED_PATHS:
        return f"{path}?[redacted]"
    return f"{path}?{query}"


@lru_cache(maxsize=4096)
def user_reference(secret_key: str, user: str | None) -> str | None:
    """A stable, non-reversible reference to a user for correlating log lines."""
    if not user:
        return None
    return hmac.new(secret_key.encode(), user.encode(), hashlib.sha256).hexdigest()[:16]


class RequestIds(logging.Filter):
    """Name the request in every line logged while it is served (Flask's unhandled-error line
    included), so the id a 500 page shows finds all of them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and not hasattr(record, "request_id"):
            record.request_id = request.environ.get(REQUEST_ID_KEY)
        return True


def init_app(app: Flask, level: str) -> None:
    """Log JSON to stdout at `level` and write one access line per request."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIds())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    app.logger.handlers.clear()
    app.logger.propagate = True
    # Access lines have the JSON format of every other line, and are written by AccessLines.
    logging.getLogger(ACCESS_LOGGER).handlers.clear()
    app.wsgi_app = AccessLog(  # type: ignore[method-assign]
        app.wsgi_app, app.config["SECRET_KEY"], ACCESS_LINES
    )
    app.before_request(_note_route)  # first of the app's hooks: it runs for every request


def _note_route() -> None:
    # The route (not the path: bounded label values) for the metrics, left in the environ where
    # AccessLog finds it once Flask is done with the request.
    rule = request.url_rule
    request.environ[ROUTE_KEY] = rule.rule if rule is not None else UNMATCHED


def log_user(name: str | None) -> None:
    """Name the signed-in user in this request's access line (as a keyed hash, never the name)."""
    request.environ[USER_KEY] = name


def _request_id(environ: dict) -> str:
    """The proxy's X-Request-ID when it looks like one (arbitrary text is never echoed into
    logs), else a new one."""
    incoming = environ.get("HTTP_X_REQUEST_ID", "")
    if 0 < len(incoming) <= 128 and incoming.isprintable():
        return incoming
    return secrets.token_hex(16)


class AccessLines:
    """A worker's access lines, written to its stdout in batches rather than one by one.

    An access line written through `logging` (a LogRecord, the handler's lock, the formatter, a
    write and a flush) cost 28 µs: a tenth of a signed-in page. Here a request only formats its
    line (json_line, the format of every other line) and appends it; a thread of the worker
    writes what has gathered every FLUSH_EVERY seconds. Each write is one system call on the
    stream's file descriptor, of at most PIPE_BUF bytes ending on a line: a pipe writes that
    whole, so lines of workers sharing one pipe, and the worker's other log lines, never
    interleave with them (a single line longer than PIPE_BUF, which only an absurd path makes,
    is written alone, and may). What is left is written when the process exits (atexit:
    gunicorn's workers end with sys.exit), so only a worker killed outright (SIGKILL) loses up to
    FLUSH_EVERY seconds of lines. Lines may reach the log after app lines logged later, as each
    carries its own time. While the stream does not take them (a stalled log collector), at most
    MAX_PENDING lines wait; the rest are counted, and the count is written when it takes lines
    again.

    `stream` is where lines go (None: sys.stdout when written). Thread-safe; a forked child
    (a gunicorn worker) starts afresh, with a flusher of its own.
    """

    FLUSH_EVERY = 0.1  # seconds
    MAX_PENDING = 100_000  # lines (about 25 MB)

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream
        self.started_in: int | None = None  # the pid whose flusher runs
        self._after_fork()
        atexit.register(self.flush)
        os.register_at_fork(after_in_child=self._after_fork)

    def _after_fork(self) -> None:
        self.lines: list[str] = []
        self.dropped = 0
        self.lock = threading.Lock()  # a lock held by another thread at the fork stays held
        self.writing = threading.Lock()  # one flush at a time, so batches keep their order

    def write(self, line: str) -> None:
        """Add one line (without its newline) to the next batch."""
        with self.lock:
            if len(self.lines) < self.MAX_PENDING:
                self.lines.append(line)
            else:
                self.dropped += 1
            if self.started_in != os.getpid():
                self._start()

    def flush(self) -> None:
        """Write every line gathered so far, now."""
        with self.writing:
            with self.lock:
                lines, self.lines = self.lines, []
                dropped, self.dropped = self.dropped, 0
            if dropped:
                lines.append(json_line(time.time(), "WARNING", ACCESS_LOGGER, DROPPED % dropped))
            stream = self.stream or sys.stdout
            batch: list[str] = []
            size = 0
            for line in lines:
                length = len(line.encode()) + 1
                if batch and size + length > select.PIPE_BUF:
                    self._write(stream, batch)
                    batch, size = [], 0
                batch.append(line)
                size += length
            if batch:
                self._write(stream, batch)

    @staticmethod
    def _write(stream: IO[str], batch: list[str]) -> None:
        text = "\n".join(batch) + "\n"
        try:
            descriptor = stream.fileno()
        except (AttributeError, io.UnsupportedOperation):  # an in-memory stream
            stream.write(text)
            return
        stream.flush()  # what the stream holds goes first
        data = text.encode()
        while data:  # a pipe takes at most PIPE_BUF bytes whole: os.write returns all of them
            data = data[os.write(descriptor, data) :]

    def _start(self) -> None:
        self.started_in = os.getpid()
        threading.Thread(target=self._run, name="access-lines", daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(self.FLUSH_EVERY)
            try:
                self.flush()
            except (OSError, ValueError):  # stdout closed: nowhere to write them
                pass


DROPPED = "%d access lines were dropped: the log did not take them in time"
ACCESS_LINES = AccessLines()  # the process's own: every app in it writes there


class AccessLog:
    """WSGI middleware around the portal: every request gets an id (echoed as X-Request-ID), is
    counted and timed in the metrics, and written as one JSON line by `lines` (AccessLines) when
    the portal.access logger is enabled for INFO.

    A middleware rather than Flask hooks: it sees every answer, even one Flask fails to make, and
    reads what it needs from the WSGI environ instead of Flask's request proxies. The route comes
    from _note_route and the user from log_user(): the Flask side leaves both in the environ.
    """

    def __init__(self, wsgi_app: Any, secret_key: str, lines: AccessLines):
        self.wsgi_app = wsgi_app
        self.secret_key = secret_key
        self.lines = lines
        self.logger = logging.getLogger(ACCESS_LOGGER)

    def __call__(self, environ: dict, start_response: Any) -> Any:
        started = time.perf_counter()
        request_id = environ[REQUEST_ID_KEY] = _request_id(environ)
        status = [500]  # what is logged if the app fails before it starts a response

        def start(status_line: str, headers: list, exc_info: Any = None) -> Any:
            status[0] = int(status_line[:3])
            headers.append((REQUEST_ID, request_id))
            return start_response(status_line, headers, exc_info)

        try:
            return self.wsgi_app(environ, start)
        finally:
            self.record(environ, status[0], time.perf_counter() - started)

    def record(self, environ: dict, status: int, duration: float) -> None:
        """Count the request in the metrics and write its access line."""
        route = environ.get(ROUTE_KEY, UNMATCHED)
        method = environ.get("REQUEST_METHOD", "")
        request_counter(route, method, status).inc()
        latency(route).observe(duration)
        if not self.logger.isEnabledFor(logging.INFO):
            return
        # PATH_INFO is WSGI's latin-1 text: the path as sent, for the log.
        path = environ.get("PATH_INFO", "").encode("latin-1", "replace").decode("utf-8", "replace")
        fields = {
            "request_id": environ[REQUEST_ID_KEY],
            "method": method,
            "path": redacted_path(path, environ.get("QUERY_STRING", "")),
            "status": status,
            "duration_ms": round(duration * 1000, 2),
            "user_ref": user_reference(self.secret_key, environ.get(USER_KEY)),
            "remote_addr": environ.get("REMOTE_ADDR"),
        }
        self.lines.write(json_line(time.time(), "INFO", ACCESS_LOGGER, "request", fields))
