"""Sign-in and sign-out: /login, /authcallback, /logout."""

from __future__ import annotations

import logging
import re

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from app.auth.session_tokens import sign_in, sign_out
from app.cocoon.client import AccessServiceUnavailable, TokenRefused
from app.cocoon.keys import TokenVerificationError
from app.extensions import limiter
from app.metrics import SIGN_IN_FAILURES, SIGN_INS
from app.security import safe_next
from app.services import services

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)

# authlib's state is token_urlsafe-like; anything else is not one we issued.
STATE = re.compile(r"[A-Za-z0-9_-]{16,128}")
DEFAULT_NEXT = "/profile"


def _login_limit() -> str:
    return services().settings.login_rate_limit


def _redirect_uri() -> str:
    return services().settings.redirect_uri or url_for("auth.callback", _external=True)


@bp.get("/login")
@limiter.limit(_login_limit)
def login() -> Response:
    """Send the browser to the access-service's sign-in, with a fresh state and PKCE."""
    next_path = safe_next(request.args.get("next")) or DEFAULT_NEXT
    cocoon = services().web_client
    redirect_uri = _redirect_uri()
    authorization = cocoon.create_authorization_url(redirect_uri)
    # State, PKCE verifier, redirect URI and `next` are kept per sign-in attempt, keyed by
    # state, so several tabs can sign in at once.
    cocoon.save_authorize_data(redirect_uri=redirect_uri, next=next_path, **authorization)
    return redirect(authorization["url"])


def _refuse(status: int, reason: str, message: str) -> Response:
    SIGN_IN_FAILURES.labels(reason=reason).inc()
    log.info("sign-in refused", extra={"event": "sign_in_failed", "reason": reason})
    abort(status, description=message)


# Not rate limited: a sign-in is counted once, at /login. A callback that calls the token endpoint
# needs a state that a counted /login made (single use); one without is refused before any call.
@bp.get("/authcallback")
def callback() -> Response:
    """Check state, swap the code for tokens, store them in a new session."""
    svc = services()
    state = request.args.get("state", "")
    cocoon = svc.web_client
    data = cocoon.framework.get_state_data(session, state) if STATE.fullmatch(state) else None
    if data is None:
        # Missing, forged, replayed or another browser's state: no token request (stops CSRF
        # on the callback and login injection).
        return _refuse(
            400,
            "state",
            "This sign-in link is not valid for this browser or has "
            "already been used. Please sign in again.",
        )
    cocoon.framework.clear_state_data(session, state)  # single use, whatever follows
    issuer = request.args.get("iss")
    if svc.settings.issuer and issuer is not None and issuer != svc.settings.issuer:
        # RFC 9207: an authorization response from another server (mix-up attack).
        return _refuse(400, "issuer", "The sign-in response came from an unexpected issuer.")
    error = request.args.get("error")
    if error:
        SIGN_IN_FAILURES.labels(reason="denied" if error == "access_denied" else "error").inc()
        response = current_app.make_response(
            (
                render_template(
                    "auth/sign_in_failed.html",
                    error=error[:200],
                    description=(request.args.get("error_description") or "")[:500],
                ),
                403 if error == "access_denied" else 400,
            )
        )
        return response
    code = request.args.get("code", "")
    if not code or len(code) > 512:
        return _refuse(400, "code", "The sign-in response carried no authorization code.")
    try:
        tokens = svc.client.exchange_code(code, data["redirect_uri"], data.get("code_verifier"))
        if svc.verifier is not None:
            svc.verifier.verify(tokens.access_token)
    except TokenRefused as exc:
        log.info("code exchange refused: %s", exc.error)
        return _refuse(
            400, "token_refused", "The sign-in service refused the sign-in. Please sign in again."
        )
    except TokenVerificationError:
        return _refuse(
            502, "token_invalid", "The sign-in service returned a token that could not be verified."
        )
    except AccessServiceUnavailable as exc:
        log.warning("code exchange failed: %s", exc)
        return _refuse(
            503,
            "unavailable",
            "The sign-in service cannot be reached. Please try again in a moment.",
        )
    sign_in(tokens)
    SIGN_INS.inc()
    log.info("signed in", extra={"event": "signed_in"})
    return redirect(safe_next(data.get("next")) or DEFAULT_NEXT)


@bp.post("/logout")
def logout() -> Response:
    """Sign out: delete the session, then revoke the refresh token where the platform can."""
    tokens = sign_out()
    if tokens is not None and tokens.refresh_token:
        # After the local sign-out: a failed revocation must not keep anyone signed in.
        services().client.revoke(tokens.refresh_token)
    return redirect(url_for("pages.index"))
