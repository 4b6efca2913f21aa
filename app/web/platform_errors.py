"""What the platform's user API (app/cocoon/api.py) can end in, as the person sees it: a page
in the portal's look (app/web/errors.py's), or, when the platform has ended the session, sign-in."""

from __future__ import annotations

import logging

from flask import Flask
from werkzeug.wrappers import Response

from app.cocoon.errors import (
    NotFound,
    NotPermitted,
    PlatformError,
    PlatformUnavailable,
    Rejected,
    SessionOver,
    UnusableAnswer,
)
from app.sessions import endings
from app.sessions.tokens import to_sign_in
from app.web.errors import render_error

log = logging.getLogger(__name__)

# The platform's user API (app/cocoon/api.py): status, title, message and log level.
PLATFORM_ERRORS: dict[type[PlatformError], tuple[int, str, str, int]] = {
    NotPermitted: (
        403,
        "Not permitted for your account",
        "Your Cocoon Data account may not do this. Ask your administrator if you need to.",
        logging.INFO,
    ),
    NotFound: (404, "Not found", "Cocoon Data has no such item for your account.", logging.INFO),
    PlatformUnavailable: (
        503,
        "Cocoon Data is unavailable",
        "The platform is unavailable at the moment. Nothing was changed; please try again soon.",
        logging.WARNING,
    ),
    UnusableAnswer: (
        502,
        "Cocoon Data error",
        "Cocoon Data gave an answer this portal cannot use. Nothing was changed here.",
        logging.ERROR,
    ),
}


def handle_platform_error(exc: PlatformError) -> tuple[str, int, dict]:
    """A call to the platform's user API that failed; the session is kept."""
    if isinstance(exc, Rejected):  # a view shows it beside its field; elsewhere, this page
        return render_error(400, exc.message)
    status, title, message, level = next(
        meaning for kind, meaning in PLATFORM_ERRORS.items() if isinstance(exc, kind)
    )
    log.log(level, "user API call failed: %s", exc)
    return render_error(status, message, title)


def handle_session_over(exc: SessionOver) -> Response:
    """The platform ended the session (a refused refresh, a token refused twice): it ends here
    too, and the person signs in again, back to this page (a GET: nothing is replayed)."""
    log.info("platform session over, signing out: %s", exc)
    endings.session_over()
    return to_sign_in()


def register_error_handlers(app: Flask) -> None:
    """Install the user API's error pages on app."""
    app.register_error_handler(SessionOver, handle_session_over)
    app.register_error_handler(PlatformError, handle_platform_error)
