"""Sign-in and sign-out: /login, /authcallback, /logout and the signed-out page.

A sign-in reads top to bottom: `login` records a pending sign-in (app/auth/pending.py) and
sends the browser to the access-service; `callback` takes it back, swaps the code for tokens
(app/cocoon/client.py) and stores them in a new session (app/sessions/tokens.py). What the
access-service can answer besides tokens becomes an error page in app/web/errors.py.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.auth import pending
from app.components import components
from app.extensions import csrf
from app.sessions import endings
from app.sessions.tokens import sign_in, signed_in_user
from app.web import form_sites
from app.web.errors import render_error
from app.web.metrics import SIGN_IN_FAILURES, SIGN_INS
from app.web.security import origin, safe_next, url_with_next

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)

# The browser's half of a sign-out's `state` (OpenID Connect RP-Initiated Logout 1.0): short
# lived, HttpOnly, only ever compared with what comes back from the access-service.
SIGN_OUT_COOKIE_MAX_AGE = 600
# What "Sign out everywhere" tells the signed-out page: the platform ended the user's other
# sessions too, or could not be asked to.
EVERYWHERE_NOTES = ("everywhere", "everywhere-partial")
# ...and that the platform's sign-out could not be reached, so the browser was not sent there.
UNREACHABLE = "unreachable"


def _login_cost() -> int:
    """A sign-in is counted once: not at the hop to the redirect URI's origin (which only
    redirects), only at the /login that starts it."""
    hop = origin(request.host_url) != _portal_origin() and not request.args.get("moved")
    return 0 if hop else 1


def _portal_origin() -> str:
    """The portal's public origin: the registered redirect URI's, else this request's."""
    redirect_uri = components().settings.redirect_uri
    return origin(redirect_uri) if redirect_uri else origin(request.host_url)


def _redirect_uri() -> str:
    return components().settings.redirect_uri or url_for("auth.callback", _external=True)


@bp.get("/login")
def login() -> Response | tuple[str, int, dict]:
    """Send the browser to the access-service's sign-in, with a fresh state and PKCE.

    Counted first against LOGIN_RATE_LIMIT, per client address (app/web/rate_limits.py raises the
    429 that app/web/errors.py shows)."""
    components().login_limit.hit(request.remote_addr, cost=_login_cost())
    next_path = safe_next(request.args.get("next")) or url_for("pages.profile")
    portal_origin = _portal_origin()
    if origin(request.host_url) != portal_origin:
        # The state is kept in a cookie of the host the sign-in starts on, and the callback
        # arrives on the redirect URI's: start there. Once: `moved` stops a loop when a proxy
        # hides the public host from the portal.
        if not request.args.get("moved"):
            target = url_with_next(portal_origin + url_for("auth.login"), next_path)
            return redirect(target + ("&" if "?" in target else "?") + "moved=1")
        log.warning(
            "sign-in started on %s, not on COCOON_REDIRECT_URI's origin %s: check that the "
            "proxy passes X-Forwarded-Host and -Proto and FORWARDED_ALLOW_IPS trusts it",
            origin(request.host_url),
            portal_origin,
        )
    if not components().sign_in_pages.reachable():
        # The browser would show its own "This site can't be reached": say what happened here.
        SIGN_IN_FAILURES.labels(reason="unavailable").inc()
        return render_error(
            503,
            "The sign-in service cannot be reached, so signing in is not possible just now. "
            "Please try again in a few minutes.",
        )
    redirect_uri = _redirect_uri()
    state, started = pending.start(redirect_uri, next_path)
    client = components().client
    return redirect(client.authorization_url(redirect_uri, state, started.code_verifier))


def _refuse(status: int, reason: str, message: str) -> Response:
    SIGN_IN_FAILURES.labels(reason=reason).inc()
    log.info("sign-in refused", extra={"event": "sign_in_failed", "reason": reason})
    abort(status, description=message)


# Not rate limited: a sign-in is counted once, at /login. A callback that calls the token endpoint
# needs a state that a counted /login made (single use); one without is refused before any call.
@bp.get("/authcallback")
def callback() -> Response | tuple[str, int]:
    """Check state, swap the code for tokens, store them in a new session."""
    started = pending.take(request.args.get("state", ""))
    if started is None:
        # Missing, forged, replayed or another browser's state: no token request (stops CSRF
        # on the callback and login injection).
        return _refuse(
            400,
            "state",
            "This sign-in link is not valid for this browser or has "
            "already been used. Please sign in again.",
        )
    parts = components()
    issuer = request.args.get("iss")
    if parts.settings.issuer and issuer is not None and issuer != parts.settings.issuer:
        # RFC 9207: an authorization response from another server (mix-up attack).
        return _refuse(400, "issuer", "The sign-in response came from an unexpected issuer.")
    if error := request.args.get("error"):
        SIGN_IN_FAILURES.labels(reason="denied" if error == "access_denied" else "error").inc()
        description = (request.args.get("error_description") or "")[:500]
        page = render_template(
            "auth/sign_in_failed.html", error=error[:200], description=description
        )
        return page, 403 if error == "access_denied" else 400
    code = request.args.get("code", "")
    if not code or len(code) > 512:
        return _refuse(400, "code", "The sign-in response carried no authorization code.")
    # Errors from here on (refused, unusable, unverifiable, unreachable) are app/web/errors.py's.
    tokens = parts.client.exchange_code(code, started.redirect_uri, started.code_verifier)
    if parts.verifier is not None:
        parts.verifier.verify(tokens.access_token)
    sign_in(tokens)
    SIGN_INS.inc()
    log.info("signed in", extra={"event": "signed_in"})
    return redirect(safe_next(started.next) or url_for("pages.profile"))


def _with_params(url: str, **params: str) -> str:
    scheme, netloc, path, query, fragment = urlsplit(url)
    query = urlencode([*parse_qsl(query), *params.items()])
    return urlunsplit((scheme, netloc, path, query, fragment))


@bp.post("/logout")
@csrf.exempt  # its own check: form_sites.may_sign_out
def logout() -> Response | tuple[str, int, dict]:
    """Sign out: delete the session, revoke the refresh token (unless another session of the
    user's holds the same one), then end the access-service's own sign-in in this browser
    where COCOON_LOGOUT_URL names its sign-out endpoint.

    Whatever state the session or its CSRF token is in (ended, idle, signed out in another
    tab): a sign-out from this portal always ends what can be ended. One from another site
    never reaches this view (app/web/form_sites.py); one of unknown site (no Origin, no Fetch
    Metadata) needs a valid token while the session is signed in, and is otherwise refused
    with a page whose own Sign out button works."""
    if not form_sites.may_sign_out(signed_in=signed_in_user() is not None):
        return render_error(
            400,
            "Your browser did not say that this sign-out came from this portal, and its form "
            "was out of date, so you are still signed in. Use the Sign out button on this page.",
            title="Not signed out yet",
        )
    endings.sign_out()
    return to_platform_sign_out()


def to_platform_sign_out(note: str = "") -> Response:
    """After the portal's own sign-out: the browser goes through the access-service's sign-out
    (when COCOON_LOGOUT_URL is set and its host can be reached) to the signed-out page, which
    shows `note` ("everywhere" or "everywhere-partial", see signed_out) and says when the
    platform could not be reached."""
    parts = components()
    state = secrets.token_urlsafe(32)
    target = url_for("auth.signed_out")
    notes = [note] if note else []
    if parts.settings.logout_url and parts.sign_out_pages is not None:
        if parts.sign_out_pages.reachable():
            # OpenID Connect RP-Initiated Logout 1.0, section 2: without this, the
            # access-service signs the next person at this computer straight back in.
            target = _with_params(
                parts.settings.logout_url,
                client_id=parts.settings.client_id,
                post_logout_redirect_uri=_portal_origin() + url_for("auth.signed_out"),
                state=state,
            )
        else:  # the browser would show "This site can't be reached", never the signed-out page
            notes.append(UNREACHABLE)
    if not notes and target == url_for("auth.signed_out"):
        return redirect(target, 303)
    response = redirect(target, 303)
    response.set_cookie(
        sign_out_cookie_name(),
        ".".join([state, ",".join(notes)]) if notes else state,
        max_age=SIGN_OUT_COOKIE_MAX_AGE,
        secure=parts.settings.production,
        httponly=True,
        samesite="Lax",  # sent when the access-service sends the browser back (a top-level GET)
        path="/",
    )
    return response


def sign_out_cookie_name() -> str:
    """`__Host-` in production (Secure, Path=/, no Domain: no other site can plant it)."""
    return "__Host-signed-out" if components().settings.production else "portal_signed_out"


# The signed-out page's `reason` after the person withdrew this portal's own approval
# (app/account/applications.py): the page says why they are signed out.
APPROVAL_WITHDRAWN = "approval-withdrawn"


@bp.get("/signed-out")
def signed_out() -> Response:
    """The signed-out page; it confirms the access-service's sign-out too when the browser
    comes back from it with the sign-out's `state`, and says what "Sign out everywhere" did."""
    parts = components()
    expected, _, noted = request.cookies.get(sign_out_cookie_name(), "").partition(".")
    notes = noted.split(",")
    state = request.args.get("state", "")
    confirmed = bool(expected and state and hmac.compare_digest(expected, state))
    response = make_response(
        render_template(
            "auth/signed_out.html",
            confirmed=confirmed,
            everywhere=next((note for note in notes if note in EVERYWHERE_NOTES), None),
            unreachable=UNREACHABLE in notes,
            approval_withdrawn=request.args.get("reason") == APPROVAL_WITHDRAWN,
            logout_configured=bool(parts.settings.logout_url),
            access_service_url=parts.settings.access_service_url,
        )
    )
    if expected:
        response.delete_cookie(
            sign_out_cookie_name(), path="/", secure=parts.settings.production, samesite="Lax"
        )
    return response
