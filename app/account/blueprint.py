"""The `account` blueprint, and what its pages share: the notice shown after a redirect.

A view reads as: login_required -> user_api() (app/auth/platform.py) -> template. Errors of the
platform other than a refused change become pages in app/web/errors.py; a refused change (400) is
shown beside the field it concerns, with what the person typed. A form sent after its session
ended comes back to its page as a GET (app/web/errors.py, app/sessions/tokens.py), and the
page says the change was not saved.
"""

from __future__ import annotations

from flask import Blueprint, request

from app.sessions.tokens import UNSAVED
from app.web.form_sites import STALE_FORM

bp = Blueprint("account", __name__, url_prefix="/account")

# What a page says after the redirect that follows its form (`?saved=1` and so on).
NOTICES = ("saved", "withdrawn", "ended", UNSAVED, STALE_FORM)


def notice() -> str | None:
    """The notice this request asks for, if any (the page words it)."""
    return next((name for name in NOTICES if request.args.get(name)), None)
