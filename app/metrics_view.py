"""/metrics for Prometheus, answered only to the configured scrapers' addresses."""

from __future__ import annotations

import ipaddress

from flask import Blueprint, Response, abort, request

from app import metrics
from app.services import services

bp = Blueprint("metrics", __name__)


def _allowed(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(
        ip in ipaddress.ip_network(item, strict=False)
        for item in services().settings.metrics_allowed_ips
    )


@bp.get("/metrics")
def metrics_endpoint() -> Response:
    """The Prometheus exposition, or 404 to anyone not allowed (do not advertise it)."""
    if not _allowed(request.remote_addr):
        abort(404)
    body, content_type = metrics.render()
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})
