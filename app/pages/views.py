"""Home and profile: the pages a signed-in user sees."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from flask import Blueprint, g, render_template
from markupsafe import Markup

from app.auth.session_tokens import login_required, signed_in_user

bp = Blueprint("pages", __name__)


@lru_cache(maxsize=1024)
def _tag_list(items: tuple[str, ...], list_id: str) -> Markup:
    return Markup('<ul class="tags" id="{}">{}</ul>').format(
        list_id, Markup("").join(Markup("<li>{}</li>").format(item) for item in items)
    )


@bp.app_template_global()
def tag_list(items: list[str], list_id: str) -> Markup:
    """A list of tags as HTML (escaped). Users share the same authorities and scopes, so the HTML
    is cached by content: escaping some eighty names was a fifth of a profile page."""
    return _tag_list(tuple(items), list_id)


def _roles_and_permissions(authorities: list[str]) -> tuple[list[str], list[str]]:
    """Spring's convention: ROLE_* are roles, the rest (PERM_*) permissions."""
    roles = [a for a in authorities if a.startswith("ROLE_")]
    return roles, [a for a in authorities if not a.startswith("ROLE_")]


@bp.get("/")
def index() -> str:
    """Home: a sign-in button, or who you are."""
    return render_template("pages/index.html", user=signed_in_user())


@bp.get("/profile")
@login_required
def profile() -> str:
    """Who you are to the platform: user name, roles, permissions, scopes, token expiry."""
    account = g.account
    roles, permissions = _roles_and_permissions(account["authorities"])
    expires_at = account["expires_at"]
    return render_template(
        "pages/profile.html",
        user=account["user_name"],
        client_id=account["client_id"],
        roles=roles,
        permissions=permissions,
        scopes=account["scopes"],
        expires=datetime.fromtimestamp(expires_at, UTC) if expires_at is not None else None,
        can_refresh=account["refreshable"],
    )
