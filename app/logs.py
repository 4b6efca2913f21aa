"""Logs as one JSON object per line on stdout: application logs and one line per request.

No token, code, state, secret or cookie is ever logged: request paths are logged with the query
string of the sign-in callback redacted, and users appear only as a keyed hash.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import sys
import time
from functools import lru_cache

from flask import Flask, Response, g, request

from app.metrics import latency, request_counter
from config.log_format import JsonFormatter

# Query strings that carry secrets (code, state, tokens) are never logged.
REDACTED_PATHS = ("/authcallback",)
REQUEST_ID = "X-Request-ID"


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


class OneLineErrors(logging.Filter):
    """Fold a record's exception into its message and drop the traceback (for flask-limiter,
    which logs one per request while Redis is down)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.msg = f"{record.getMessage()}: {record.exc_info[1]}"
            record.args = None
            record.exc_info = record.exc_text = None
        return True


def init_app(app: Flask, level: str) -> None:
    """Log JSON to stdout at `level` and write one access line per request."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("flask-limiter").addFilter(OneLineErrors())
    app.logger.handlers.clear()
    app.logger.propagate = True
    # Request lines are JSON already (built below, cheaper than the generic formatter, which
    # cost a signed-in page 15%): this logger writes them as they are.
    access = logging.getLogger("portal.access")
    access_handler = logging.StreamHandler(sys.stdout)
    access_handler.setFormatter(logging.Formatter("%(message)s"))
    access.handlers[:] = [access_handler]
    access.propagate = False

    @app.before_request
    def start_timer() -> None:
        incoming = request.headers.get(REQUEST_ID, "")
        # Honour the proxy's id when it looks like one; never echo arbitrary text into logs.
        g.request_id = (
            incoming
            if 0 < len(incoming) <= 128 and incoming.isprintable()
            else secrets.token_hex(16)
        )
        g.started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        duration = time.perf_counter() - g.get("started", time.perf_counter())
        route = request.url_rule.rule if request.url_rule else "unmatched"
        request_counter(route, request.method, response.status_code).inc()
        latency(route).observe(duration)
        request_id = g.get("request_id", "")
        response.headers[REQUEST_ID] = request_id
        if access.isEnabledFor(logging.INFO):
            now = time.time()
            user = g.get("user")  # set by views that know who is signed in
            entry = {
                "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
                + f".{int(now % 1 * 1000):03d}Z",
                "level": "INFO",
                "logger": "portal.access",
                "message": "request",
                "request_id": request_id,
                "method": request.method,
                "path": redacted_path(request.path, request.query_string.decode("latin-1")),
                "status": response.status_code,
                "duration_ms": round(duration * 1000, 2),
                "user_ref": user_reference(app.config["SECRET_KEY"], user),
                "remote_addr": request.remote_addr,
            }
            access.info(json.dumps(entry))
        return response
