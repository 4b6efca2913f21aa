"""Cocoon Portal: sign in to the Cocoon Data Platform with the OAuth 2.0 authorization code flow.

create_app() reads as: settings -> logging -> security -> sessions (flask-session) and services
-> extensions -> blueprints -> error pages. Nothing here does I/O at import.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from flask import Flask

from app import account, auth, cli, pages
from app.cocoon.grants import Grants
from app.components import build_components
from app.extensions import csrf
from app.redis_client import RedisStore, make_redis
from app.sessions import interface
from app.sessions.cache import make_session_cache
from app.sessions.store import KEY_PREFIX, SessionStore
from app.web import (
    errors,
    form_sites,
    health,
    logs,
    metrics_view,
    platform_errors,
    security,
    templating,
)
from config import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent


class Portal(Flask):
    """Flask, less one traceback: a Redis outage is logged once, as one line, by app/web/errors.py
    (an error saving the session reaches Flask wrapped in a 500 and would otherwise log a
    traceback on every request until Redis is back)."""

    def log_exception(
        self, exc_info: tuple[type, BaseException, TracebackType] | tuple[None, None, None]
    ) -> None:
        if isinstance(exc_info[1], errors.STORE_ERRORS):
            return
        super().log_exception(exc_info)


def create_app(
    settings: Settings | None = None,
    *,
    redis: RedisStore | None = None,
    clock: Callable[[], float] = time.time,
    testing: bool = False,
) -> Flask:
    """Build the portal. Settings default to the environment (raising if one is missing)."""
    settings = settings or load_settings()
    app = Portal(
        __name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static")
    )
    configure(app, settings, testing)
    logs.init_app(app, settings.log_level)
    security.init_app(app, settings)
    form_sites.init_app(app, settings.redirect_uri)
    errors.register_error_handlers(app)
    platform_errors.register_error_handlers(app)
    redis = redis or make_redis(settings)
    # One cache per worker for the sessions and their grants: what a signed-in page reads.
    cache = make_session_cache(settings, (KEY_PREFIX, Grants.key_prefix()))
    store = SessionStore(
        redis,
        idle_timeout=settings.session_idle_timeout,
        absolute_timeout=settings.session_absolute_timeout,
        cache=cache,
        clock=clock,
    )
    interface.init_app(app, store)  # flask-session's Session(app)
    register_extensions(app)
    app.extensions["portal"] = build_components(settings, redis, store, clock)
    register_blueprints(app)
    return app


def configure(app: Flask, settings: Settings, testing: bool) -> None:
    """Flask's own settings, derived from ours."""
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=testing,
        TRUSTED_HOSTS=list(settings.trusted_hosts) or None,
        MAX_CONTENT_LENGTH=64 * 1024,  # nothing the portal accepts is bigger
        MAX_FORM_MEMORY_SIZE=64 * 1024,
        # Cookies: in production `__Host-` (Secure, Path=/, no Domain: no subdomain or plain
        # http page can set or overwrite it); a distinct name in development because cookies
        # are not separated by port and the emulator runs on the same host.
        SESSION_COOKIE_NAME="__Host-session" if settings.production else "portal_session",
        SESSION_COOKIE_SECURE=settings.production,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/",
        SESSION_COOKIE_DOMAIN=None,
        PREFERRED_URL_SCHEME="https" if settings.production else "http",
        # flask-wtf's CSRF tokens expire after an hour by default, so a sign-out button on a
        # page left open longer would fail. Without a time limit a token lasts as long as the
        # secret it is signed from: that secret lives in the session, is renewed at every
        # sign-in and ends with the session (SESSION_ABSOLUTE_TIMEOUT at the latest).
        WTF_CSRF_TIME_LIMIT=None,
        # No Referer check: where a form comes from is checked with Origin and Sec-Fetch-Site
        # instead (app/web/csrf.py), which needs no Referer.
        WTF_CSRF_SSL_STRICT=False,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
        # With PORTAL_RELOAD (development), a changed template shows at its next page.
        TEMPLATES_AUTO_RELOAD=settings.reload,
    )
    if testing:
        # Flask re-raises errors when TESTING; the portal's error pages are part of what is
        # tested, so keep them.
        app.config["PROPAGATE_EXCEPTIONS"] = False


def register_extensions(app: Flask) -> None:
    """Bind the extension objects to app."""
    csrf.init_app(app)


def register_blueprints(app: Flask) -> None:
    """One blueprint per concern."""
    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics_view.bp)
    csrf.exempt(health.bp)
    csrf.exempt(metrics_view.bp)
    app.cli.add_command(cli.commands)
    templating.init_app(app)
