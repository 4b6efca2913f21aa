"""Error pages in the portal's own look, with the right status and never a stack trace."""

from __future__ import annotations

import logging
import math
import time
from urllib.parse import quote

from flask import Flask, redirect, render_template, request, session
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    SecurityError,
    ServiceUnavailable,
)
from werkzeug.wrappers import Response

from app.cocoon.errors import (
    AccessServiceUnavailable,
    ClientConfigurationError,
    InvalidTokenResponse,
    TokenRefused,
)
from app.cocoon.keys import TokenVerificationError
from app.redis_client import REDIS_DOWN
from app.sessions.backend import store_down
from app.sessions.tokens import UNSAVED, signed_in_user
from app.web import form_sites
from app.web.form_sites import STALE_FORM
from app.web.logs import REQUEST_ID_KEY
from app.web.metrics import REDIS_ERRORS, SIGN_IN_FAILURES
from app.web.rate_limits import RateLimited

log = logging.getLogger(__name__)

TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    429: "Too many sign-ins",
    500: "Something went wrong",
    502: "Sign-in service error",
    503: "Temporarily unavailable",
    504: "Sign-in service timed out",
}
# Endpoints that work without the session store: probes and assets.
NO_SESSION_NEEDED = {
    "health.healthz",
    "health.readyz",
    "static",
    "pages.favicon",
    "metrics.metrics_endpoint",
}
RETRY_AFTER_SECONDS = "5"
# How a rate limit's window is said: "120 a minute", "1000 every 10 minutes".
PERIODS = {
    "second": "a second",
    "minute": "a minute",
    "hour": "an hour",
    "day": "a day",
    "month": "a month",
    "year": "a year",
}
# What "the session store is down" looks like, wherever it is raised.
STORE_ERRORS: tuple[type[Exception], ...] = REDIS_DOWN


def render_error(
    status: int, message: str | None = None, title: str | None = None, *, retry: bool = False
) -> tuple[str, int, dict]:
    """The error page for status, with a plain-language message (and title); a server error
    also shows the request's id, which support finds in the log lines of that request. With
    `retry` (an outage that ends by itself), the page offers to load this page again, and
    neither Sign in nor Sign out: whether the person is signed in cannot be known now."""
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if status in (429, 503) else {}
    request_id = request.environ.get(REQUEST_ID_KEY) if status >= 500 else None
    return (
        render_template(
            "errors/error.html",
            status=status,
            title=title or TITLES.get(status, "Error"),
            message=message,
            request_id=request_id,
            retry_url=this_page() if retry else None,
        ),
        status,
        headers,
    )


# What a query may hold as it is in a link; every other byte (not ASCII, not UTF-8, quotes,
# angle brackets, spaces) is percent-encoded, so the link asks for exactly the bytes asked for.
QUERY_SAFE = "!$%&'()*+,/:;=?@[]~"


def this_page() -> str:
    """This request's page, to load again: its path and query on this portal (a form's POST:
    the page the form is on, as a GET). The query's bytes are kept whatever they are."""
    query = quote(request.query_string, safe=QUERY_SAFE) if request.method == "GET" else ""
    return request.script_root + request.path + (f"?{query}" if query else "")


def _store_down(exc: Exception) -> tuple[str, int, dict]:
    """The 503 page; the session is left as Redis holds it (whatever the request changed in it
    is not saved: never half a session)."""
    REDIS_ERRORS.inc()
    log.error("session store unavailable: %s", exc)
    page = render_error(
        503,
        "The portal cannot reach its session store. Please try again "
        "in a moment; you will not need to sign in again.",
        retry=True,
    )
    session.modified = False
    return page


def require_session_store() -> tuple[str, int, dict] | None:
    """Answer 503 at once when the session could not be read (never an anonymous fallback)."""
    if store_down() and request.endpoint not in NO_SESSION_NEEDED:
        return _store_down(ServiceUnavailable("session store unavailable"))
    return None


def handle_http_error(exc: HTTPException) -> tuple[str, int, dict]:
    """Any 4xx/5xx raised by a view or by routing."""
    status = exc.code or 500
    # werkzeug's default descriptions are fine for 404/405; ours are set by abort(..., description)
    return render_error(status, exc.description if status not in (404, 405) else None)


def handle_untrusted_host(exc: SecurityError) -> tuple[str, int, dict]:
    """A Host header outside TRUSTED_HOSTS (host header injection): no page is built for it,
    since no URL can be made for an untrusted host."""
    return (
        "Bad request: this host name is not served here.\n",
        400,
        {"Content-Type": "text/plain; charset=utf-8"},
    )


def handle_rate_limited(exc: RateLimited) -> tuple[str, int, dict]:
    """Too many sign-ins started from one address (LOGIN_RATE_LIMIT): the page and Retry-After
    say when the limit lets the next one through, as the limit's own window says."""
    rate = exc.limit
    period = rate.GRANULARITY.name
    window = PERIODS[period] if rate.multiples == 1 else f"every {rate.multiples} {period}s"
    wait = max(1, math.ceil(exc.reset_at - time.time()))
    when = (
        f"{wait} second{'s' if wait > 1 else ''}"
        if wait < 120
        else f"{math.ceil(wait / 60)} minutes"
    )
    page, status, headers = render_error(
        429,
        f"Too many sign-ins have started from your network: this portal allows {rate.amount} "
        f"{window} from one address. Please try again in {when}.",
    )
    return page, status, {**headers, "Retry-After": str(wait)}


def handle_csrf_error(exc: CSRFError) -> tuple[str, int, dict] | Response:
    """A form from this portal's site (or of unknown site) without a valid CSRF token; one from
    another site was refused before (app/web/form_sites.py). Logged with flask-wtf's reason.

    A form of the account pages goes back to its page, a GET (through sign-in when needed),
    whose notice says why the change was not saved: the session had ended (idle timeout,
    signed out in another browser or tab), or the form was older than the session's latest
    sign-in. The POST is never replayed.
    """
    signed_in = signed_in_user() is not None
    form_sites.refused(
        f"CSRF token: {exc.description} ({'signed in' if signed_in else 'no signed-in session'})"
    )
    if request.blueprint in FORM_PAGES and request.method == "POST":
        notice = STALE_FORM if signed_in else UNSAVED
        return redirect(f"{request.script_root}{request.path}?{notice}=1", 303)
    return render_error(
        400,
        "This form was out of date, so nothing was done. Reload the page and try again.",
    )


def handle_internal_error(exc: InternalServerError) -> tuple[str, int, dict]:
    """Unhandled errors (Flask has logged them, once). Redis failures while a session is
    opened or saved arrive here wrapped in an InternalServerError."""
    original = getattr(exc, "original_exception", None)
    if isinstance(original, STORE_ERRORS):
        return _store_down(original)
    return render_error(500, "The portal hit an unexpected error. Please try again.")


# What the access-service's answers mean to the person in front of the portal (the sorting
# is app/cocoon/errors.py's): status, the metric's reason, the page's message, the log level.
ACCESS_SERVICE_ERRORS: dict[type[Exception], tuple[int, str, str, int]] = {
    TokenRefused: (
        400,
        "token_refused",
        "The sign-in service refused the sign-in. Please sign in again.",
        logging.INFO,
    ),
    ClientConfigurationError: (
        502,
        "client_refused",
        "This portal cannot reach its sign-in service with its current settings. "
        "Its operators have been told; please try again later.",
        logging.ERROR,
    ),
    InvalidTokenResponse: (
        502,
        "token_unusable",
        "The sign-in service returned a token this portal cannot use.",
        logging.ERROR,
    ),
    TokenVerificationError: (
        502,
        "token_invalid",
        "The sign-in service returned a token that could not be verified.",
        logging.ERROR,
    ),
    AccessServiceUnavailable: (
        503,
        "unavailable",
        "The sign-in service cannot be reached. Please try again in a moment.",
        logging.WARNING,
    ),
}


# Blueprints whose forms go back to their own page when their CSRF token fails.
FORM_PAGES = {"account"}


def handle_access_service_error(exc: Exception) -> tuple[str, int, dict]:
    """A sign-in or refresh that the access-service's answer ended; the session is kept."""
    status, reason, message, level = next(
        meaning for kind, meaning in ACCESS_SERVICE_ERRORS.items() if isinstance(exc, kind)
    )
    log.log(level, "access-service call failed (%s): %s", reason, exc)
    if request.endpoint == "auth.callback":
        SIGN_IN_FAILURES.labels(reason=reason).inc()
    return render_error(status, message)


def register_error_handlers(app: Flask) -> None:
    """Install the handlers and the session-store check on app."""
    app.before_request(require_session_store)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(RateLimited, handle_rate_limited)
    app.register_error_handler(SecurityError, handle_untrusted_host)
    for error in STORE_ERRORS:
        app.register_error_handler(error, _store_down)
    app.register_error_handler(InternalServerError, handle_internal_error)
    for error in ACCESS_SERVICE_ERRORS:
        app.register_error_handler(error, handle_access_service_error)
    app.register_error_handler(HTTPException, handle_http_error)
