"""The sign-in page and the signed-in user, kept in the store under a random session id."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, redirect, render_template, session, url_for
from werkzeug.wrappers import Response

from .data import User
from .extensions import services
from .forms import SignInForm, SignOutForm

bp = Blueprint("signin", __name__)

SIGNIN_TTL = 8 * 3600
# The authorize request waiting for the user to sign in; only its parameters are kept, and the
# user is always sent back to our own authorize endpoint with them (never to a URL from the
# request, which would make this an open redirector).
PENDING_AUTHORIZE = "pending_authorize"


def current_user() -> User | None:
    """The signed-in user, or None."""
    sid = session.get("sid")
    record = services().store.get(f"signin:{sid}") if sid else None
    return services().directory.user(record["username"]) if record else None


def sign_in(user: User) -> dict[str, Any] | None:
    """Start a new sign-in session for user; returns the pending authorize parameters."""
    store = services().store
    if old_sid := session.get("sid"):
        store.delete(f"signin:{old_sid}")
    pending = session.get(PENDING_AUTHORIZE)
    # A fresh session and id: whatever was planted in the old cookie (session fixation) is gone.
    session.clear()
    sid = secrets.token_urlsafe(32)
    store.put(f"signin:{sid}", {"username": user.username}, SIGNIN_TTL)
    session["sid"] = sid
    return pending


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    """Show the sign-in form; on success continue the authorize request that sent the user here."""
    form = SignInForm()
    message, status = None, 200
    if form.validate_on_submit():
        user = services().directory.authenticate_user(form.username.data, form.password.data)
        if user is not None:
            pending = sign_in(user)
            if pending:
                # Back to our own authorize endpoint, its parameters re-encoded by us.
                target = f"{url_for('authorize.authorize')}?{urlencode(pending)}"
                return redirect(target, 303)
            return redirect(url_for("signin.index"), 303)
        # One message for a wrong password and an unknown email: no account enumeration.
        message = "Incorrect email or password."
    elif form.csrf_token.errors:
        message, status = "The sign-in form expired. Please try again.", 400
    form.password.data = None
    return render_template("login.html", form=form, message=message), status


@bp.post("/logout")
def logout() -> Response:
    """End the sign-in session here (the portal's own session is the portal's business)."""
    if SignOutForm().validate_on_submit() and (sid := session.get("sid")):
        services().store.delete(f"signin:{sid}")
    session.clear()
    return redirect(url_for("signin.index"), 303)


@bp.get("/")
def index() -> str:
    """Who is signed in here, if anyone."""
    return render_template("index.html", user=current_user(), form=SignOutForm())
