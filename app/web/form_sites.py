"""Where a form may come from: cross-site request forgery stopped as OWASP's CSRF Prevention
Cheat Sheet has it, by where the browser says the request comes from *and* by a token.

1. The request's site, on every unsafe request (POST, PUT, PATCH, DELETE): Fetch Metadata's
   `Sec-Fetch-Site` when the browser sends it (every current browser does), else the `Origin`
   header compared with the portal's own origins (this request's, and COCOON_REDIRECT_URI's).
   A request from another site is refused here, before any view runs (403). Neither header,
   or `Origin: null` without Fetch Metadata (a page with `Referrer-Policy: no-referrer` in an
   older browser), leaves the site unknown: the token then decides alone.
2. flask-wtf's CSRF token (`csrf.protect()`, app/web/errors.py shows its refusals). Its
   Referer check is off (WTF_CSRF_SSL_STRICT=False): browsers behind privacy settings, some
   proxies and the portal's own no-referrer pages send no Referer, and the site check above
   does what it did without needing one.

Sign-out is the one form without flask-wtf's check (app/auth/views.py): `may_sign_out` lets it
through whenever the site is this portal's, whatever the session or its token, so a tab whose
session ended can always sign out (and reach the platform's sign-out); a sign-out of unknown
site needs the token while the session is signed in. Every refusal is logged with its reason
(never a token or a cookie).
"""

from __future__ import annotations

import logging
from typing import Literal

from flask import Flask, abort, g, request
from flask_wtf.csrf import CSRFError

from app.extensions import csrf
from app.web.security import origin

log = logging.getLogger(__name__)

Site = Literal["same-origin", "cross-site", "unknown"]
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Sec-Fetch-Site values (Fetch Metadata Request Headers, section 2.4): "none" is a request the
# person made themselves (typed, bookmarked), never a form of another site.
TRUSTED_FETCH_SITES = frozenset({"same-origin", "none"})
SITE_KEY = "form_site"  # where `check_site` leaves its verdict, in flask.g
# In a query: the form a signed-in session sent was older than its latest sign-in, not saved.
STALE_FORM = "stale"
MAX_LOGGED = 200  # characters of a header's value in a log line


def request_site(portal_origins: frozenset[str]) -> tuple[Site, str]:
    """Where this request comes from, and why it is said so (for the log line)."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        fetch_site = fetch_site.strip().lower()
        if fetch_site in TRUSTED_FETCH_SITES:
            return "same-origin", f"Sec-Fetch-Site: {fetch_site}"
        return "cross-site", f"Sec-Fetch-Site: {fetch_site[:MAX_LOGGED]}"
    sent = request.headers.get("Origin")
    if sent is None or sent.strip() == "null":
        return "unknown", "no Fetch Metadata, Origin " + ("null" if sent else "missing")
    here = portal_origins | {origin(request.host_url)}
    try:
        matches = origin(sent.strip()) in here
    except ValueError:  # not an origin at all (a port out of range, say)
        matches = False
    if matches:
        return "same-origin", "Origin matches"
    return "cross-site", f"Origin {sent[:MAX_LOGGED]!r} is not one of {sorted(here)}"


def refused(reason: str) -> None:
    """Log that a form was refused, and why (the reason names headers, never their secrets)."""
    log.warning(
        "form refused: %s",
        reason,
        extra={"event": "form_refused", "reason": reason, "path": request.path},
    )


def site() -> Site:
    """This request's site, as `check_site` found it ("unknown" before it ran)."""
    return g.get(SITE_KEY, "unknown")


def may_sign_out(signed_in: bool) -> bool:
    """Whether this sign-out goes ahead (a cross-site one never reaches the view): from this
    portal, always; of unknown site, when the CSRF token is valid or nothing is signed in.
    Logs the refusal."""
    if site() == "same-origin" or not signed_in:
        return True
    try:
        csrf.protect()
    except CSRFError as exc:
        refused(f"sign-out of unknown site with a signed-in session: {exc.description}")
        return False
    return True


def init_app(app: Flask, redirect_uri: str | None) -> None:
    """Check the site of every unsafe request before its view, and before flask-wtf's token
    check (registered after this, in create_app)."""
    portal_origins = frozenset({origin(redirect_uri)} if redirect_uri else ())

    @app.before_request
    def check_site() -> None:
        if request.method not in UNSAFE_METHODS or request.endpoint is None:
            return
        verdict, reason = request_site(portal_origins)
        setattr(g, SITE_KEY, verdict)
        if verdict == "cross-site":
            refused(f"from another site ({reason})")
            abort(
                403,
                description="This form was sent from another website, not from this portal, "
                "so nothing was done. To make the change, use the portal's own page.",
            )
