"""The signed-in user's tokens, reached from their server-side session: sign in, read, refresh.

A signed-in session holds the id of its grant (app/cocoon/grants.py: the sealed tokens, shared by
the user's sessions that the platform gave the same refresh token), its user's name (for the
index of their sessions) and nothing else that repeats the tokens. Pages render from the account
summary (user name, authorities, scopes, expiry; no token), read from the grant's seal once per
worker and token set (app/cocoon/summaries.py), and decide from it whether a refresh is due; a
worker that has read the session and its grant before asks Redis nothing (app/sessions/cache.py).
The tokens themselves never leave the server. Ending sessions: app/sessions/endings.py.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import g, redirect, request, session, url_for
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response

from app.cocoon.errors import (
    AccessServiceError,
    AccessServiceUnavailable,
    InvalidTokenResponse,
    TokenRefused,
)
from app.cocoon.refresh import SessionGone, refresh_due
from app.cocoon.sealing import SealError
from app.cocoon.tokens import TokenSet
from app.components import components
from app.sessions import endings
from app.sessions.devices import describe
from app.sessions.interface import current_session, regenerate, save_now
from app.sessions.store import STARTED_AT
from app.sessions.user_sessions import GRANT, USER, session_user
from app.web.logs import log_user
from app.web.metrics import REFRESHES
from app.web.security import CSRF_FIELD, request_target, url_with_next

log = logging.getLogger(__name__)

# The browser at sign-in, in words ("Firefox on Windows", app/sessions/devices.py).
DEVICE = "device"
SEEN_AT = "seen_at"  # epoch seconds of the latest page, to the minute (SEEN_EVERY)
SEEN_EVERY = 60.0  # a page writes its session back at most this often to note it
UNSAVED = "unsaved"  # in a `next`: the form sent when the session had ended was not saved

F = TypeVar("F", bound=Callable[..., Any])
R = TypeVar("R")


class GrantTokenStore:
    """The tokens of this request's session, in its grant, as stored in Redis now: for the
    refresh lock (app/cocoon/refresh.py), which is the grant's."""

    def __init__(self, grant_id: str) -> None:
        self.grant_id = grant_id
        self.grants = components().grants
        self.loaded: TokenSet | None = None

    @property
    def key(self) -> str:
        """The grant's Redis key as a hash tag, naming its refresh lock (see TokenStore)."""
        return "{" + self.grants.key(self.grant_id) + "}"

    def load(self) -> TokenSet | None:
        """The grant's tokens (None: it has ended)."""
        self.loaded = self.grants.load(self.grant_id)
        return self.loaded

    def save(self, tokens: TokenSet) -> None:
        """Store refreshed tokens, unless this session has ended meanwhile (SessionGone)."""
        if components().sessions.load(current_session().sid) is None:
            raise SessionGone()
        self.grants.save(self.grant_id, tokens, previous=self.loaded)


def sign_in(tokens: TokenSet) -> None:
    """Store tokens in a grant, start a session holding it under a new id (stops session
    fixation), and index the session under its user."""
    parts = components()
    now = parts.clock()
    session[GRANT] = parts.grants.create_or_join(tokens)
    session[USER] = tokens.user_name or ""
    session[STARTED_AT] = session[SEEN_AT] = now
    session[DEVICE] = describe(request.user_agent.string or "")
    # A new CSRF secret for the new session, drawn now: pages that only read the session then
    # never write it back.
    session.pop(CSRF_FIELD, None)
    generate_csrf()
    regenerate()  # the session is not empty: flask-session renews its id
    save_now()  # stored before it is indexed
    if tokens.user_name:
        parts.user_sessions().add(tokens.user_name, current_session().sid, now)


def device_of(data: Mapping[str, Any]) -> str:
    """The browser a session was signed in from, in words."""
    return str(data.get(DEVICE) or describe(""))


def signed_in_user() -> str | None:
    """The user name of a signed-in session ('' when the token names nobody), else None."""
    user = session_user(session)
    if user is None:
        return None
    log_user(user)
    return user


def current_tokens() -> TokenSet | None:
    """The signed-in user's tokens, for a view that calls the platform (opened once a request).

    In a view behind login_required they are fresh: a refresh, if due, happened before it ran.
    """
    if "tokens" not in g:
        g.tokens = stored_tokens()
    return g.tokens


def stored_tokens() -> TokenSet | None:
    """The tokens of the session's grant as stored now, without refreshing; None when signed
    out, when the grant has ended (signed out elsewhere), or when they cannot be opened (sealed
    with a retired key, tampered with): the session is then emptied."""
    return _read_grant(components().grants.load)


def fresh_tokens() -> TokenSet | None:
    """The session's tokens, refreshed first (under the grant's lock) when about to expire.

    When the refresh fails for a reason that is not the user's (the access-service is down,
    refuses this portal's client, or answers with an unusable token), the current tokens are
    kept while they are valid. Raises TokenRefused or SessionGone (the caller signs the user
    out), and ClientConfigurationError, InvalidTokenResponse or AccessServiceUnavailable once
    the access token has expired.
    """
    tokens = current_tokens()
    if tokens is None:
        return None
    parts = components()
    try:
        fresh = parts.refresher.ensure_fresh(GrantTokenStore(session[GRANT]), tokens)
    except (TokenRefused, SessionGone):
        REFRESHES.labels(outcome="refused").inc()
        raise
    except AccessServiceError as exc:
        REFRESHES.labels(outcome="unavailable").inc()
        if tokens.is_expired(parts.clock()):
            raise
        # An outage is logged as a warning; a refusal of this portal's client or an unusable
        # answer needs the operator, whoever meets it.
        level = logging.WARNING if isinstance(exc, AccessServiceUnavailable) else logging.ERROR
        log.log(level, "refresh failed (%s); the access token is still valid", exc)
        return tokens
    if fresh.obtained_at != tokens.obtained_at:
        REFRESHES.labels(outcome="ok").inc()
    adopt(fresh)
    return fresh


def adopt(tokens: TokenSet) -> None:
    """Make tokens this request's."""
    g.tokens = tokens


def to_sign_in() -> Response:
    """Send the browser through sign-in, back to this very page afterwards (a form sent with
    POST comes back to its page as a GET that says the change was not saved)."""
    target = request_target()
    if request.method not in ("GET", "HEAD"):
        target += ("&" if "?" in target else "?") + f"{UNSAVED}=1"
    return redirect(url_with_next(url_for("auth.login"), target))


def _account() -> Mapping[str, Any] | None:
    """The account summary of the session's grant (read-only); None when signed out, or when
    the grant has ended or cannot be opened (the session is then emptied)."""
    parts = components()

    def summary(grant_id: str) -> Mapping[str, Any] | None:
        sealed = parts.grants.load_sealed(grant_id)
        return parts.summaries.of(sealed) if sealed is not None else None

    return _read_grant(summary)


def _read_grant(read: Callable[[str], R | None]) -> R | None:
    """What `read` gives for the session's grant id; None when signed out, or when the grant
    has ended or cannot be opened (sealed with a retired key, tampered with): the session is
    then emptied."""
    grant_id = session.get(GRANT)
    if not grant_id:
        return None
    try:
        found = read(grant_id)
    except (SealError, InvalidTokenResponse) as exc:
        log.warning("dropping a session whose tokens cannot be used: %s", exc)
        found = None
    if found is None:
        session.clear()
    return found


def login_required(view: F) -> F:
    """Serve the view with the user's `account` summary in g.account (tokens refreshed first
    when due; current_tokens() gives them), or send the user through sign-in.

    Errors of the access-service other than a refused refresh reach the app's error pages
    (app/web/errors.py) with the session kept.
    """

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        account = _account()
        if account is None:
            return to_sign_in()
        parts = components()
        now = parts.clock()
        due = refresh_due(
            expires_at=account["expires_at"],
            obtained_at=account["obtained_at"],
            refreshable=account["refreshable"],
            now=now,
            max_leeway=parts.settings.refresh_leeway,
        )
        if due:
            try:
                tokens = fresh_tokens()
            except (TokenRefused, SessionGone) as exc:
                log.info("refresh refused, signing out: %s", getattr(exc, "error", "session gone"))
                endings.session_over()
                return to_sign_in()
            account = _account() if tokens is not None else None
            if account is None:
                return to_sign_in()
        if now - (session.get(SEEN_AT) or 0.0) >= SEEN_EVERY:
            session[SEEN_AT] = now
        g.account = account
        log_user(account.get("user_name"))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
