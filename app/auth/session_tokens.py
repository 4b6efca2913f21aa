"""The signed-in user's tokens in their server-side session: sign in, read, refresh, sign out.

The session holds the sealed token set and nothing that repeats it. Pages render from its
account summary (user name, authorities, scopes, expiry; no token), read from the seal once per
worker (app/cocoon/summaries.py), and decide from it whether a refresh is due, so a signed-in
page opens no seal. The tokens themselves never leave the server.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import g, redirect, session, url_for
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
from app.logs import log_user
from app.metrics import REFRESHES
from app.security import CSRF_FIELD, request_target, url_with_next
from app.session_store import STARTED_AT
from app.sessions import current_interface, current_session

log = logging.getLogger(__name__)

TOKENS = "tokens"
# Where the previous release kept a copy of the account summary: dropped when a session is next
# written (this release reads the summary from the tokens).
OLD_ACCOUNT = "account"

F = TypeVar("F", bound=Callable[..., Any])


class SessionTokenStore:
    """The tokens of this request's session as stored in Redis: load, save, clear.

    Used under the refresh lock (app/cocoon/refresh.py), so it reads and writes Redis at once
    rather than the request's copy, which another worker may have outdated meanwhile.
    """

    def __init__(self) -> None:
        self.store = current_interface().store
        self.session = current_session()
        self.sealer = components().sealer

    @property
    def key(self) -> str:
        """The session's Redis key as a hash tag, naming its refresh lock (see TokenStore)."""
        return "{" + self.store.key(self.session.sid) + "}"

    def load(self) -> TokenSet | None:
        """The stored tokens (None: the session is gone or holds none). This request's copy
        takes them too, so that a later write-back of the session cannot restore older ones."""
        stored = self.store.load(self.session.sid) or {}
        sealed = stored.get(TOKENS)
        if not sealed:
            return None
        self.session.adopt({TOKENS: sealed})
        return self.sealer.open(sealed)

    def save(self, tokens: TokenSet) -> None:
        """Store tokens in Redis now, and in this request's session. Raises SessionGone when
        the session was deleted meanwhile (signed out elsewhere)."""
        stored = self.store.load(self.session.sid)
        if stored is None:
            raise SessionGone()
        stored.pop(OLD_ACCOUNT, None)
        sealed = self.sealer.seal(tokens)
        # Only if it still exists: a sign-out since the read above must not be undone.
        if not self.store.store(self.session.sid, {**stored, TOKENS: sealed}, existing_only=True):
            raise SessionGone()
        self.session.adopt({TOKENS: sealed})

    def clear(self) -> None:
        """Delete the session from Redis at once and empty this request's copy."""
        self.store.delete(self.session.sid)
        self.session.clear()


def sign_in(tokens: TokenSet) -> None:
    """Store tokens in the session and give it a new id (stops session fixation)."""
    parts = components()
    session[TOKENS] = parts.sealer.seal(tokens)
    session.pop(OLD_ACCOUNT, None)
    session[STARTED_AT] = parts.clock()
    # A new CSRF secret for the new session, drawn now: pages that only read the session then
    # never write it back (a write-back could restore tokens another request has refreshed).
    session.pop(CSRF_FIELD, None)
    generate_csrf()
    current_interface().regenerate(current_session())


def sign_out() -> TokenSet | None:
    """Delete the session from Redis at once; return the tokens it held."""
    tokens = stored_tokens()
    SessionTokenStore().clear()
    return tokens


def signed_in_user() -> str | None:
    """The user name of a signed-in session ('' when the token names nobody), else None."""
    account = _account()
    if account is None:
        return None
    user = account["user_name"] or ""
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
    """The session's tokens as this request read them, without refreshing; None when signed
    out, or when they cannot be opened (sealed with a retired key, tampered with, or stored
    by a release that did not check them: the session is then emptied)."""
    sealed = session.get(TOKENS)
    if not sealed:
        return None
    try:
        return components().sealer.open(sealed)
    except (SealError, InvalidTokenResponse) as exc:
        log.warning("dropping a session whose tokens cannot be used: %s", exc)
        session.clear()
        return None


def fresh_tokens() -> TokenSet | None:
    """The session's tokens, refreshed first (under the lock) when they are about to expire.

    When the refresh fails for a reason that is not the user's (the access-service is down,
    refuses this portal's client, or answers with an unusable token), the current tokens are
    kept while they are valid. Raises TokenRefused or SessionGone (the caller signs the user
    out), and ClientConfigurationError, InvalidTokenResponse or AccessServiceUnavailable once
    the access token has expired.
    """
    tokens = stored_tokens()
    if tokens is None:
        return None
    parts = components()
    try:
        fresh = parts.refresher.ensure_fresh(SessionTokenStore(), tokens)
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
    if fresh is not tokens:
        REFRESHES.labels(outcome="ok").inc()
    g.tokens = fresh
    return fresh


def to_sign_in() -> Response:
    """Send the browser through sign-in, back to this very page afterwards."""
    return redirect(url_with_next(url_for("auth.login"), request_target()))


def _account() -> Mapping[str, Any] | None:
    """The account summary of the session's tokens (read-only); None when signed out, or when
    they cannot be opened (the session is then emptied, as stored_tokens does)."""
    sealed = session.get(TOKENS)
    if not sealed:
        return None
    try:
        return components().summaries.of(sealed)
    except (SealError, InvalidTokenResponse) as exc:
        log.warning("dropping a session whose tokens cannot be used: %s", exc)
        session.clear()
        return None


def login_required(view: F) -> F:
    """Serve the view with the user's `account` summary in g.account (tokens refreshed first
    when due; current_tokens() gives them), or send the user through sign-in.

    Errors of the access-service other than a refused refresh reach the app's error pages
    (app/errors.py) with the session kept.
    """

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        account = _account()
        if account is None:
            return to_sign_in()
        parts = components()
        due = refresh_due(
            expires_at=account["expires_at"],
            obtained_at=account["obtained_at"],
            refreshable=account["refreshable"],
            now=parts.clock(),
            max_leeway=parts.settings.refresh_leeway,
        )
        if due:
            try:
                tokens = fresh_tokens()
            except (TokenRefused, SessionGone) as exc:
                log.info("refresh refused, signing out: %s", getattr(exc, "error", "session gone"))
                session.clear()
                return to_sign_in()
            account = _account() if tokens is not None else None
            if account is None:
                return to_sign_in()
        g.account = account
        log_user(account["user_name"])
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
