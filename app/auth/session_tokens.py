"""The signed-in user's tokens in their server-side session: sign in, read, refresh, sign out.

The session holds two things: the sealed token set, and its `account` summary (user name,
authorities, scopes, expiry; no token). Pages render from the summary and decide from it whether
a refresh is due, so a signed-in page costs one Redis read and opens no seal. The tokens
themselves never leave the server.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import abort, current_app, g, redirect, request, session, url_for

from app.cocoon.client import AccessServiceUnavailable, TokenRefused
from app.cocoon.refresh import SessionGone, refresh_due
from app.cocoon.sealing import SealError
from app.cocoon.tokens import SUMMARY_VERSION, TokenSet
from app.logs import log_user
from app.metrics import REFRESHES
from app.security import CSRF_FIELD
from app.services import services
from app.sessions import STARTED_AT

log = logging.getLogger(__name__)

TOKENS = "tokens"
ACCOUNT = "account"

F = TypeVar("F", bound=Callable[..., Any])


def sign_in(tokens: TokenSet) -> None:
    """Store tokens in the session and give it a new id (stops session fixation)."""
    svc = services()
    session[TOKENS] = svc.sealer.seal(tokens)
    session[ACCOUNT] = tokens.summary()
    session[STARTED_AT] = svc.clock()
    session.pop(CSRF_FIELD, None)  # a new CSRF secret for the new session
    # Rotate while the session holds something: flask-session ignores an empty one.
    current_app.session_interface.regenerate(session)


def sign_out() -> TokenSet | None:
    """Empty the session (deleting it from Redis at the end of the request); return its tokens."""
    tokens = stored_tokens()
    current_app.session_interface.delete_now(session.sid)
    session.clear()
    return tokens


def signed_in_user() -> str | None:
    """The user name of a signed-in session ('' when the token names nobody), else None."""
    account = session.get(ACCOUNT)
    if not account or TOKENS not in session:
        return None
    user = account.get("user_name") or ""
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
    """The session's tokens as stored, without refreshing; None when signed out."""
    sealed = session.get(TOKENS)
    if not sealed:
        return None
    try:
        return services().sealer.open(sealed)
    except SealError as exc:  # sealed with a retired key, or tampered with in Redis
        log.warning("dropping a session whose tokens cannot be opened: %s", exc)
        session.clear()
        return None


def fresh_tokens() -> TokenSet | None:
    """The session's tokens, refreshed first when they are about to expire.

    Raises TokenRefused when the access-service refuses the refresh (the caller signs the user
    out) and AccessServiceUnavailable when it cannot be reached and the token has expired.
    """
    tokens = stored_tokens()
    if tokens is None:
        return None
    svc = services()
    stored: dict[str, Any] = {}

    def reload() -> TokenSet | None:
        stored.clear()
        stored.update(current_app.session_interface.load_stored(session.sid) or {})
        sealed = stored.get(TOKENS)
        return svc.sealer.open(sealed) if sealed else None

    def save(fresh: TokenSet) -> None:
        stored[TOKENS] = svc.sealer.seal(fresh)
        stored[ACCOUNT] = fresh.summary()
        current_app.session_interface.store_now(session.sid, stored)
        REFRESHES.labels(outcome="ok").inc()

    try:
        result = svc.refresher.ensure_fresh(session.sid, tokens, reload, save)
    except AccessServiceUnavailable:
        REFRESHES.labels(outcome="unavailable").inc()
        if not tokens.is_expired(svc.clock()):
            log.warning("refresh failed for want of the access-service; token still valid")
            return tokens
        raise
    except TokenRefused:
        REFRESHES.labels(outcome="refused").inc()
        raise
    if result is not tokens and stored:
        session.adopt({key: stored[key] for key in (TOKENS, ACCOUNT)})
    g.tokens = result
    return result


def _to_sign_in() -> Any:
    next_path = request.full_path.rstrip("?")
    return redirect(url_for("auth.login") + "?" + urlencode({"next": next_path}))


def _refresh_due(account: dict[str, Any]) -> bool:
    svc = services()
    return refresh_due(
        account.get("expires_at"),
        account.get("obtained_at", 0.0),
        bool(account.get("refreshable")),
        svc.clock(),
        svc.settings.refresh_leeway,
    )


def _renew_summary() -> dict[str, Any] | None:
    """This release's summary of the session's tokens, stored in place of an older one."""
    tokens = stored_tokens()
    if tokens is None:
        return None
    session[ACCOUNT] = tokens.summary()
    return session[ACCOUNT]


def login_required(view: F) -> F:
    """Serve the view with the user's `account` summary in g.account (tokens refreshed first
    when due; current_tokens() gives them), or send the user through sign-in."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        account = session.get(ACCOUNT)
        if not account or TOKENS not in session:
            return _to_sign_in()
        if account.get("version") != SUMMARY_VERSION:  # signed in by an older release
            account = _renew_summary()
            if account is None:
                return _to_sign_in()
        if not _refresh_due(account):
            g.account = account
            log_user(account.get("user_name"))
            return view(*args, **kwargs)
        try:
            tokens = fresh_tokens()
        except (TokenRefused, SessionGone) as exc:
            log.info("refresh refused, signing out: %s", getattr(exc, "error", "session gone"))
            session.clear()
            return _to_sign_in()
        except AccessServiceUnavailable:
            abort(
                503,
                description="The sign-in service cannot be reached to renew your "
                "session. Please try again in a moment.",
            )
        if tokens is None:
            return _to_sign_in()
        g.account = session.get(ACCOUNT) or tokens.summary()
        log_user(g.account.get("user_name"))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
