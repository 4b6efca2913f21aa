"""Home and profile: the pages a signed-in user sees."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, g, render_template

from app.auth.session_tokens import login_required, signed_in_user

bp = Blueprint("pages", __name__)


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
    tokens = g.tokens
    roles, permissions = _roles_and_permissions(tokens.authorities)
    expires = (
        datetime.fromtimestamp(tokens.expires_at, UTC) if tokens.expires_at is not None else None
    )
    return render_template(
        "pages/profile.html",
        user=tokens.user_name,
        client_id=tokens.claims.get("client_id"),
        roles=roles,
        permissions=permissions,
        scopes=tokens.scopes,
        expires=expires,
        can_refresh=bool(tokens.refresh_token),
    )
