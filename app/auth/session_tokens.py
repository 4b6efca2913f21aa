"""The signed-in user's tokens in their server-side session: sign in, read, refresh, sign out.

The session holds the user's name (for pages that only greet) and the sealed token set; the
tokens themselves never leave the server.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import abort, current_app, g, redirect, request, session, url_for

from app.cocoon.client import AccessServiceUnavailable, TokenRefused
from app.cocoon.refresh import SessionGone
from app.cocoon.sealing import SealError
from app.cocoon.tokens import TokenSet
from app.metrics import REFRESHES
from app.services import services
from app.sessions import STARTED_AT

log = logging.getLogger(__name__)

TOKENS = "tokens"
USER = "user"
# flask-wtf keeps its CSRF secret here; a new one is drawn at each sign-in.
CSRF_SECRET = "csrf_token"

F = TypeVar("F", bound=Callable[..., Any])


def sign_in(tokens: TokenSet) -> None:
    """Store tokens in the session and give it a new id (stops session fixation)."""
    svc = services()
    session[TOKENS] = svc.sealer.seal(tokens)
    session[USER] = tokens.user_name
    session[STARTED_AT] = svc.clock()
    session.pop(CSRF_SECRET, None)
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
    if TOKENS not in session:
        return None
    g.user = session.get(USER) or ""
    return g.user


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


def _reload() -> dict[str, Any] | None:
    return current_app.session_interface.load_stored(session.sid)


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
        stored.update(_reload() or {})
        sealed = stored.get(TOKENS)
        return svc.sealer.open(sealed) if sealed else None

    def save(fresh: TokenSet) -> None:
        stored[TOKENS] = svc.sealer.seal(fresh)
        stored[USER] = fresh.user_name
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
        session.adopt({key: stored[key] for key in (TOKENS, USER)})
    return result


def _to_sign_in() -> Any:
    next_path = request.full_path.rstrip("?")
    return redirect(url_for("auth.login") + "?" + urlencode({"next": next_path}))


def login_required(view: F) -> F:
    """Serve the view with fresh tokens in g.tokens, or send the user through sign-in."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
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
        g.tokens = tokens
        g.user = tokens.user_name
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
