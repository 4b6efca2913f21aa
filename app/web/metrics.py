"""Prometheus metrics, shared by all gunicorn workers (prometheus-client's multiprocess mode).

With PROMETHEUS_MULTIPROC_DIR set, every worker writes its samples to files there and
/metrics adds them up; gunicorn.conf.py empties the directory at start and tells the library
when a worker exits.
"""

from __future__ import annotations

import os
from functools import lru_cache

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter(
    "portal_http_requests_total", "HTTP requests by route and status", ["route", "method", "status"]
)
LATENCY = Histogram(
    "portal_http_request_duration_seconds",
    "Time to answer a request",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SIGN_INS = Counter("portal_sign_ins_total", "Completed sign-ins")
SIGN_IN_FAILURES = Counter("portal_sign_in_failures_total", "Failed sign-ins by reason", ["reason"])
REFRESHES = Counter(
    "portal_token_refreshes_total", "Access token refreshes by outcome", ["outcome"]
)
REDIS_ERRORS = Counter("portal_redis_errors_total", "Requests that failed for want of Redis")


# labels() validates and locks on every call; a request needs the same few children again.
@lru_cache(maxsize=1024)
def request_counter(route: str, method: str, status: int) -> Counter:
    """The requests counter for one route, method and status."""
    return REQUESTS.labels(route=route, method=method, status=status)


@lru_cache(maxsize=256)
def latency(route: str) -> Histogram:
    """The latency histogram for one route."""
    return LATENCY.labels(route=route)


def render() -> tuple[bytes, str]:
    """The exposition text of all workers (or of this process outside gunicorn)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
