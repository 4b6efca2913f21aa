"""An emulated Cocoon access-service: a Spring Security OAuth2 authorization server stand-in.

For development, demos and tests only, never production. `python -m access_service` runs it;
`gunicorn 'access_service:create_app()'` runs it with several workers sharing Redis.
"""

from __future__ import annotations

import time
from typing import Any, cast

import redis
from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider

from . import (
    authorize,
    boot,
    client_auth,
    introspection,
    logout,
    resource_server,
    signin,
    stats,
    token_endpoint,
    user_api,
)
from .accounts import Accounts
from .approvals import Approvals
from .contacts import Contacts
from .data import DirectoryFile
from .errors import register_error_handlers
from .extensions import EXTENSION_NAME, Components
from .keys import Signer, load_or_create_key
from .settings import load_settings
from .store import MemoryStore, RedisStore, Store
from .tokens import TokenServices
from .users import Users

# Pages: no scripts at all, styles only from here, and never inside a frame (clickjacking
# on the approval page). No form-action: the approval form ends in a redirect to the client.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)

SPRING_SECURITY_NO_CACHE = {
    "Cache-Control": "no-cache, no-store, max-age=0, must-revalidate",
    "Pragma": "no-cache",
    "Expires": "0",
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create the emulator: settings, components, session cookie, blueprints and error pages.

    config may hold `CLOCK` (a callable returning epoch seconds), so tests can move time.
    """
    app = Flask(__name__)
    app.config.update(load_settings(config))
    # Token responses keep the platform's field order.
    cast(DefaultJSONProvider, app.json).sort_keys = False
    parts = init_components(app)
    configure_session(app, parts.signer)
    register_blueprints(app)
    register_error_handlers(app)
    boot.init_app(app)
    # Before-request functions run in this order, as Spring's filters do: count, then the
    # client's Basic credentials (token endpoints), the bearer token (user API), then routing.
    stats.init_app(app)
    client_auth.init_app(app)
    resource_server.init_app(app)
    app.after_request(add_security_headers)
    return app


def init_components(app: Flask) -> Components:
    """Load clients and users, the signing key and the store (Redis when REDIS_URL is set)."""
    clock = app.config.get("CLOCK") or time.time
    signer = Signer(load_or_create_key(app.config["SIGNING_KEY_FILE"]))
    store: Store
    if app.config["REDIS_URL"]:
        store = RedisStore(redis.Redis.from_url(app.config["REDIS_URL"]))
    else:
        store = MemoryStore(clock)
    approvals = Approvals(store, clock)
    tokens = TokenServices(
        store,
        signer,
        approvals,
        access_token_validity=app.config["ACCESS_TOKEN_VALIDITY"],
        refresh_token_validity=app.config["REFRESH_TOKEN_VALIDITY"],
        token_store=app.config["TOKEN_STORE"],
        token_response=app.config["TOKEN_RESPONSE"],
        clock=clock,
    )
    users = Users(DirectoryFile(app.config["DATA_FILE"]), store, clock)
    accounts, contacts = Accounts(store), Contacts(store)
    parts = Components(users, store, signer, tokens, approvals, accounts, contacts, clock)
    app.extensions[EXTENSION_NAME] = parts
    return parts


def configure_session(app: Flask, signer: Signer) -> None:
    """The emulator's own sign-in cookie, never Flask's default `session`."""
    # Browsers share cookies between ports of one host: on 127.0.0.1 the portal's cookie and
    # ours would overwrite each other if both used the default name.
    app.config["SESSION_COOKIE_NAME"] = "access_service_session"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    # Lax: the cookie still comes along when the portal sends the browser here (a top-level GET).
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    # Derived from the signing key when not given, so every worker reading that key agrees.
    app.secret_key = app.config["SECRET_KEY"] or signer.derived_secret("flask session")


def register_blueprints(app: Flask) -> None:
    """One blueprint per concern."""
    for module in (signin, logout, authorize, token_endpoint, introspection, stats):
        app.register_blueprint(module.bp)
    user_api.init_app(app)


def add_security_headers(response: Response) -> Response:
    """Headers every response carries, and Spring Security's `CacheControlHeadersWriter`
    default on every answer that sets none of Cache-Control, Pragma and Expires (and is not a
    304): `Cache-Control: no-cache, no-store, max-age=0, must-revalidate`, `Pragma: no-cache`,
    `Expires: 0`."""
    if response.status_code != 304 and not any(
        name in response.headers for name in ("Cache-Control", "Pragma", "Expires")
    ):
        response.headers.update(SPRING_SECURITY_NO_CACHE)
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response
