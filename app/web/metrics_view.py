"""/metrics for Prometheus, answered only to the configured scrapers' addresses."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from app.components import components
from app.web import metrics

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics_endpoint() -> Response:
    """The Prometheus exposition, or 404 to anyone not allowed (do not advertise it)."""
    if not components().metrics_scrapers.allows(request.remote_addr):
        abort(404)
    body, content_type = metrics.render()
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})
