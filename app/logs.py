"""Logs as one JSON object per line on stdout: application logs and one line per request.

No token, code, state, secret or cookie is ever logged: request paths are logged with the query
string of the sign-in callback redacted, and users appear only as a keyed hash.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import sys
import time
from functools import lru_cache
from typing import Any

from flask import Flask, has_request_context, request

from app.metrics import latency, request_counter
from config.log_format import JsonFormatter

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
    # Request lines go through the same handler and JSON format as every other line.
    logging.getLogger(ACCESS_LOGGER).handlers.clear()
    app.wsgi_app = AccessLog(app.wsgi_app, app.config["SECRET_KEY"])  # type: ignore[method-assign]
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


class AccessLog:
    """WSGI middleware around the portal: every request gets an id (echoed as X-Request-ID), is
    counted and timed in the metrics, and written as one JSON line to the portal.access logger.

    A middleware rather than Flask hooks: it sees every answer, even one Flask fails to make, and
    reads what it needs from the WSGI environ instead of Flask's request proxies. The route comes
    from _note_route and the user from log_user(): the Flask side leaves both in the environ.
    """

    def __init__(self, wsgi_app: Any, secret_key: str):
        self.wsgi_app = wsgi_app
        self.secret_key = secret_key
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
        self.logger.info("request", extra=fields)  # config/log_format.py makes it JSON
