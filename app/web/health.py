"""Liveness and readiness, kept apart: a dead Redis makes the portal unready, not dead."""

from __future__ import annotations

from flask import Blueprint

from app.components import components
from app.redis_client import REDIS_DOWN

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[dict, int]:
    """200 while the process lives (restart it when this fails)."""
    return {"status": "ok"}, 200


@bp.get("/readyz")
def readyz() -> tuple[dict, int, dict]:
    """200 when Redis answers, else 503 (take the instance out of the load balancer)."""
    try:
        components().redis.ping()
    except REDIS_DOWN:
        return {"status": "unavailable", "redis": "down"}, 503, {"Retry-After": "5"}
    return {"status": "ok", "redis": "up"}, 200, {}
