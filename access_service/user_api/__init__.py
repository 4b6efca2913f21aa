"""The platform's user API (`/api/v1/...`): the signed-in user's own resources.

One blueprint per concern: `account` (users/me, expire), `applications` (approvals),
`contacts` (the address book), `notifications` (email), `discovery` (/api/v1, /api/v1/config).
Each view names the authority it needs with `resource_server.requires`. Errors other than the
resource server's 401/403 have Spring Boot's shape (see `boot`).
"""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from ..resource_server import PREFIX
from . import account, applications, contacts, discovery, notifications
from .boot import BootError, boot_error

BLUEPRINTS = (account.bp, applications.bp, contacts.bp, notifications.bp, discovery.bp)


def init_app(app: Flask) -> None:
    """Register the user API's blueprints and its Spring Boot-shaped error answers."""
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.register_error_handler(BootError, lambda exc: boot_error(exc.status, exc.message))

    def routing_error(exc: HTTPException) -> Response | HTTPException:
        """Unknown paths and methods under /api/v1 in Boot's shape; elsewhere Flask's page."""
        if request.path != PREFIX and not request.path.startswith(PREFIX + "/"):
            return exc
        if exc.code == 405:
            return boot_error(405, f"Request method '{request.method}' not supported")
        return boot_error(404, "No message available")

    app.register_error_handler(404, routing_error)
    app.register_error_handler(405, routing_error)
