"""Home and profile: the pages a signed-in user sees."""

from __future__ import annotations

import time
from functools import lru_cache

from flask import Blueprint, current_app, g, render_template
from markupsafe import Markup
from werkzeug.wrappers import Response

from app.auth.session_tokens import login_required, signed_in_user

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
    """Home: a sign-in button, or who you are."""
    return render_template("pages/index.html", user=signed_in_user())


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The site's icon where browsers look for it (every page also links it), cached as the
    static files are."""
    return current_app.send_static_file("favicon.ico")


@bp.get("/profile")
@login_required
def profile() -> str:
    """Who you are to the platform: user name, roles, permissions, scopes, token expiry."""
    account = g.account
    roles, permissions, scopes = account["roles"], account["permissions"], account["scopes"]
    expires_at = account["expires_at"]
    expires_iso, expires_text = _utc(expires_at) if expires_at is not None else (None, None)
    # Everything is computed here and handed over as text: a function called from a template
    # costs more than the same call made here.
    return render_template(
        "pages/profile.html",
        user=account["user_name"],
        client_id=account["client_id"],
        tags={
            "roles": (len(roles), tag_list(tuple(roles), "roles")),
            "permissions": (len(permissions), tag_list(tuple(permissions), "permissions")),
            "scopes": (len(scopes), tag_list(tuple(scopes), "scopes")),
        },
        expires_iso=expires_iso,
        expires_text=expires_text,
        can_refresh=account["refreshable"],
    )
