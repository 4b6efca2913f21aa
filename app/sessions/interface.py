"""Server-side sessions on flask-session: the browser holds only a random session id.

`init_app` sets flask-session's documented settings and calls `Session(app)`:
- SESSION_TYPE = "cachelib" with SESSION_CACHELIB = our SessionBackend (app/sessions/backend.py):
  flask-session keeps the cookie and the session object, the backend and its SessionStore
  (app/sessions/store.py) keep Redis (one Redis, Sentinel or Cluster through
  app/redis_client.py), msgpack (never pickle) and the worker's cache. flask-session's own
  Redis interface would take neither a Redis Cluster nor our cache, and decodes with a pickle
  fallback;
- SESSION_ID_LENGTH = 16: ids of 128 random bits (secrets.token_urlsafe, 22 characters), well
  above the 64 bits of entropy that OWASP's Session Management Cheat Sheet asks of a session id
  (guessing one live session among a million at a billion tries a second would take over
  10^15 years); renewed at sign-in by flask-session's `regenerate` (see `regenerate` below);
- SESSION_REFRESH_EACH_REQUEST = False: a session is written back only when it changed, so a
  page that only reads it cannot write a stale copy over tokens another request has just
  refreshed; its idle timeout slides as it is read (the store's GETEX) when the request is a
  person's activity (app/sessions/activity.py: not the probes, /metrics, static files, 404s);
- SESSION_PERMANENT = False: the cookie has no expiry and ends with the browser; the session
  in Redis ends before that (SESSION_IDLE_TIMEOUT, SESSION_ABSOLUTE_TIMEOUT);
- the cookie's name and flags are Flask's SESSION_COOKIE_* (app/__init__.py: `__Host-` in
  production).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, current_app, has_app_context, session
from flask import Response as FlaskResponse
from flask_session import Session
from flask_session.base import ServerSideSession, ServerSideSessionInterface

from app.sessions.backend import ID_BYTES, SessionBackend
from app.sessions.store import SessionStore


class Response(FlaskResponse):
    """Flask's response, whose deletion of the session cookie carries the cookie's own flags.

    flask-session deletes the cookie with its name, domain and path only; a browser ignores a
    deletion of a `__Host-` cookie that does not say Secure, and the cookie would outlive the
    sign-out (naming a session that no longer exists, but still)."""

    def delete_cookie(
        self,
        key: str,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """werkzeug's delete_cookie; for the session cookie, with SESSION_COOKIE_SECURE,
        _HTTPONLY and _SAMESITE."""
        if has_app_context() and key == current_app.config["SESSION_COOKIE_NAME"]:
            config = current_app.config
            secure = secure or bool(config["SESSION_COOKIE_SECURE"])
            httponly = httponly or bool(config["SESSION_COOKIE_HTTPONLY"])
            samesite = samesite or config["SESSION_COOKIE_SAMESITE"]
        super().delete_cookie(key, path, domain, secure, httponly, samesite, partitioned)


def init_app(app: Flask, store: SessionStore) -> None:
    """Serve app's sessions from `store`, through flask-session."""
    app.config.update(
        SESSION_TYPE="cachelib",
        SESSION_CACHELIB=SessionBackend(store),
        SESSION_KEY_PREFIX=store.key_prefix,
        SESSION_ID_LENGTH=ID_BYTES,
        SESSION_SERIALIZATION_FORMAT="msgpack",  # flask-session's own coder, unused by cachelib
        SESSION_PERMANENT=False,
        SESSION_REFRESH_EACH_REQUEST=False,
        # What flask-session hands the backend as a session's lifetime (the store uses its own,
        # the same, cut at the absolute limit).
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=store.idle_timeout),
    )
    app.response_class = Response
    Session(app)


def current_session() -> ServerSideSession:
    """This request's session, typed (the `session` proxy stands for a ServerSideSession).

    Raises TypeError when the app does not use flask-session.
    """
    if not isinstance(session, ServerSideSession):
        raise TypeError("the session is not flask-session's: see app/sessions/interface.py")
    return session


def regenerate() -> None:
    """Give this request's session a new id (stops session fixation): flask-session's
    `regenerate` deletes the old one from Redis at once; the session is stored under the new
    one when the request ends (or at once by `save_now`). Raises any of REDIS_DOWN, and
    RuntimeError when the session is empty: flask-session then leaves the id as it is, so a
    caller fills the session first."""
    interface = current_app.session_interface
    if not isinstance(interface, ServerSideSessionInterface):
        raise TypeError("the session interface is not flask-session's")
    renewed = current_session()
    old = renewed.sid
    interface.regenerate(renewed)
    if renewed.sid == old:
        raise RuntimeError("an empty session keeps its id: fill it before regenerate()")


def save_now() -> None:
    """Store this request's session at once, as the end of the request would (which then
    writes it again only while it still exists). Raises any of REDIS_DOWN."""
    backend: Any = current_app.config["SESSION_CACHELIB"]
    assert isinstance(backend, SessionBackend)
    current = current_session()
    backend.set(backend.store.key(current.sid), dict(current))
