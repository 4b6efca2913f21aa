"""Home and profile: the pages a signed-in user sees."""

from __future__ import annotations

import logging
import time
from functools import lru_cache
from typing import Any

from flask import Blueprint, current_app, g, render_template
from markupsafe import Markup
from werkzeug.wrappers import Response

from app.auth.platform import forget_person, remember_person, remembered_person, user_api
from app.cocoon.errors import (
    AccessServiceError,
    NotFound,
    NotPermitted,
    PlatformUnavailable,
    SessionOver,
    UnusableAnswer,
)
from app.cocoon.resources import role_names
from app.sessions import endings
from app.sessions.tokens import login_required, signed_in_user
from app.web.templating import render_cached

log = logging.getLogger(__name__)

bp = Blueprint("pages", __name__)


@lru_cache(maxsize=1024)
def tag_list(items: tuple[str, ...], list_id: str) -> Markup:
    """A list of tags as HTML (escaped). Users share the same authorities and scopes, so the HTML
    is cached by content: escaping some eighty names was a fifth of a profile page."""
    return Markup('<ul class="tags" id="{}">{}</ul>').format(
        list_id, Markup("").join(Markup("<li>{}</li>").format(item) for item in items)
    )


def _utc(timestamp: float) -> tuple[str, str]:
    """A timestamp for <time datetime> and for people."""
    moment = time.gmtime(timestamp)
    return (
        time.strftime("%Y-%m-%dT%H:%M:%SZ", moment),
        time.strftime("%Y-%m-%d %H:%M:%S UTC", moment),
    )


@bp.get("/")
def index() -> str:
    """Home: a sign-in button, or who you are, by the name the profile greets you by."""
    user = signed_in_user()
    known = None
    if user is not None:
        try:
            known = person()
        except SessionOver as exc:  # the platform ended it: home, signed out
            log.info("platform session over, signing out: %s", exc)
            endings.session_over()
            user = None
        except AccessServiceError as exc:  # a renewal due that failed: home greets all the same
            log.info("home without the account's name for now: %s", exc)
    return render_template("pages/index.html", user=user, name=greeting_name(known, user))


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The site's icon where browsers look for it (every page also links it), cached as the
    static files are."""
    return current_app.send_static_file("favicon.ico")


def person() -> dict[str, Any] | None:
    """The person's name and roles from GET /users/me: kept in the session after the first
    profile page, so the next ones call nothing. None (or empty) when the platform cannot say:
    the page then greets by the token's user name. The greeting is optional, so no error of
    the call ends the page, and only an outage is tried again on the next page. Raises
    SessionOver when the platform has ended the session (it has no name to keep then)."""
    known = remembered_person()
    if known is not None:
        return known
    try:
        remember_person(user_api().me())
    except PlatformUnavailable as exc:
        log.info("profile without the account's name for now: %s", exc)
        return None
    except (NotPermitted, NotFound, UnusableAnswer) as exc:
        log.info("profile without the account's name: %s", exc)
        forget_person()
    return remembered_person()


def greeting_name(known: dict[str, Any] | None, user_name: str | None) -> str | None:
    """Whom the pages greet: the person's name from the platform, else the token's user name."""
    return (known or {}).get("name") or user_name


@bp.get("/profile")
@login_required
def profile() -> str:
    """Who you are to the platform: your name and role in words; the raw authorities and
    scopes, and the token's expiry, for whoever needs them."""
    account = g.account
    roles, permissions, scopes = account["roles"], account["permissions"], account["scopes"]
    expires_at = account["expires_at"]
    expires_iso, expires_text = _utc(expires_at) if expires_at is not None else (None, None)
    known = person()
    # Everything is computed here and handed over as text (a function called from a template
    # costs more than the same call made here), hashable, for the cache of rendered pages.
    return render_cached(
        "pages/profile.html",
        user=account["user_name"],
        name=greeting_name(known, account["user_name"]),
        role_words=", ".join(role_names(known["roles"] if known else roles)),
        person_known=known is not None,
        client_id=account["client_id"],
        roles=(len(roles), tag_list(tuple(roles), "roles")),
        permissions=(len(permissions), tag_list(tuple(permissions), "permissions")),
        scopes=(len(scopes), tag_list(tuple(scopes), "scopes")),
        expires_iso=expires_iso,
        expires_text=expires_text,
        can_refresh=account["refreshable"],
    )
