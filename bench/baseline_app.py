"""The ceilings /profile is measured against: bare Flask routes under the portal's gunicorn.

- `/bare`: no I/O at all;
- `/one-read`: one Redis GET of a session-sized value, the least any server-side session costs.

Both answer a body as long as the /profile page being compared (BENCH_BODY_BYTES), so the
ratio measures the portal's work, not the size of its page. The Redis client is the portal's
own (same timeouts, retries and health checks). Serve with
`gunicorn -c config/gunicorn.conf.py bench.baseline_app:app` and the portal's environment.
"""

from __future__ import annotations

import os

from flask import Flask

from app.redis_client import make_redis
from config import load_settings

app = Flask(__name__)
redis = make_redis(load_settings())
VALUE_KEY = os.environ.get("BENCH_VALUE_KEY", "bench:session-sized")
BODY = "x" * int(os.environ.get("BENCH_BODY_BYTES", "5000"))


@app.get("/bare")
def bare() -> str:
    """The least a Flask route costs under these gunicorn settings."""
    return BODY


@app.get("/one-read")
def one_read() -> str:
    """A bare route plus one Redis GET of a session-sized value."""
    if redis.get(VALUE_KEY) is None:
        return "the session-sized value is missing", 500
    return BODY
