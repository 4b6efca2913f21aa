"""Liveness and readiness, kept apart: a dead Redis makes the portal unready, not dead."""

from __future__ import annotations

import os
import socket

from flask import Blueprint
from redis.exceptions import OutOfMemoryError, ReadOnlyError

from app.components import components
from app.redis_client import REDIS_DOWN

bp = Blueprint("health", __name__)

# What /readyz writes: its own key per instance and worker, gone a few seconds later. A Redis
# that answers reads but refuses writes (out of memory under `maxmemory` with `noeviction`, a
# read-only replica after a bad failover) lets no one sign in: that is not ready.
READY_KEY = "portal:readyz:"
READY_KEY_MS = 5000


@bp.get("/healthz")
def healthz() -> tuple[dict, int]:
    """200 while the process lives (restart it when this fails)."""
    return {"status": "ok"}, 200


@bp.get("/readyz")
def readyz() -> tuple[dict, int, dict]:
    """200 when Redis takes a write; 503 when it cannot be reached, or refuses writes (out of
    memory, read-only): take the instance out of the load balancer."""
    key = f"{READY_KEY}{socket.gethostname()}:{os.getpid()}"
    try:
        components().redis.set(key, b"1", px=READY_KEY_MS)
    except (OutOfMemoryError, ReadOnlyError):
        return {"status": "unavailable", "redis": "refuses writes"}, 503, {"Retry-After": "5"}
    except REDIS_DOWN:
        return {"status": "unavailable", "redis": "down"}, 503, {"Retry-After": "5"}
    return {"status": "ok", "redis": "up"}, 200, {}
