"""The platform's user API (`/api/v1/...`): the signed-in user's own resources.

One blueprint per concern: `account` (users/me, expire), `applications` (approvals),
`contacts` (the address book), `notifications` (email), `discovery` (/api/v1, /api/v1/config).
Each view names the authority it needs with `resource_server.requires`. Errors other than the
resource server's 401/403 have Spring Boot's shape (see `boot`).
"""

from __future__ import annotations

from flask import Flask

from ..boot import boot_error
from . import account, applications, contacts, discovery, notifications
from .boot import BootError

BLUEPRINTS = (account.bp, applications.bp, contacts.bp, notifications.bp, discovery.bp)


def init_app(app: Flask) -> None:
    """Register the user API's blueprints and its Spring Boot-shaped error answers (unknown
    paths and methods: `access_service.boot.init_app`)."""
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.register_error_handler(BootError, lambda exc: boot_error(exc.status, exc.message))
