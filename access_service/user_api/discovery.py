"""`GET /api/v1` (discovery, any valid token) and `GET /api/v1/config` (public, no token).

Discovery answers `{"contentServiceURL", "webappServiceURL", "services": [{"name", "link",
"httpMethod"}, ...]}`, one service per user API endpoint this emulator serves, read from its own
routes so the list cannot drift. The emulator has no content service or web app: their URLs are
the document's style of example host.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, current_app, jsonify, request

from ..resource_server import PREFIX, requires

bp = Blueprint("discovery", __name__, url_prefix=PREFIX)

CONTENT_SERVICE_URL = "https://content-service.xy-company.com"
WEBAPP_SERVICE_URL = "https://webapp.xy-company.com"
CONFIG = {
    "content.service.url": CONTENT_SERVICE_URL,
    "webapp.service.url": WEBAPP_SERVICE_URL,
    "document.viewer.enabled": False,
}


@bp.get("")
@requires(None)
def discovery() -> Response:
    """The service URLs and every user API endpoint."""
    return jsonify(
        contentServiceURL=CONTENT_SERVICE_URL,
        webappServiceURL=WEBAPP_SERVICE_URL,
        services=services_listing(request.host_url.rstrip("/")),
    )


@bp.get("/config")
def config() -> Response:
    """The platform's public properties."""
    return jsonify(CONFIG)


def services_listing(base_url: str) -> list[dict[str, str]]:
    """`{"name", "link", "httpMethod"}` for each route under /api/v1, in path order."""
    listing = []
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if not rule.rule.startswith(PREFIX):
            continue
        view = rule.endpoint.rsplit(".", 1)[-1]
        name = _camel(view)  # get_account -> getAccount
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "{" + _camel(m.group(1)) + "}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            listing.append({"name": name, "link": base_url + path, "httpMethod": method})
    return listing


def _camel(name: str) -> str:
    """approval_id -> approvalId."""
    return re.sub(r"_(\w)", lambda m: m.group(1).upper(), name)
