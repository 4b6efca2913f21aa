"""The sign-in pages (password, then an authenticator code for two-factor users) and the
signed-in user, kept in the store under a random session id."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, render_template, session, url_for
from werkzeug.wrappers import Response

from .data import User
from .errors import bare_redirect
from .extensions import components
from .forms import CodeForm, SignInForm, SignOutForm
from .totp import verify_code
from .users import AccountStatusError

bp = Blueprint("signin", __name__)

SIGNIN_TTL = 8 * 3600
# The authorize request waiting for the user to sign in; only its parameters are kept, and the
# user is always sent back to our own authorize endpoint with them (never to a URL from the
# request, which would make this an open redirector).
PENDING_AUTHORIZE = "pending_authorize"
# A two-factor user whose password was right: {"username", "until"}; the code must follow soon.
PENDING_CODE = "pending_code"
CODE_STEP_SECONDS = 300
LOCKED = "This account is locked after too many failed sign-ins. Try again in 15 minutes."
WRONG = "Incorrect email or password."  # one message: no account enumeration


def current_user() -> User | None:
    """The signed-in user, or None."""
    sid = session.get("sid")
    record = components().store.get(f"signin:{sid}") if sid else None
    return components().directory.user(record["username"]) if record else None


def sign_in(user: User) -> dict[str, Any] | None:
    """Start a new sign-in session for user; returns the pending authorize parameters."""
    store = components().store
    if old_sid := session.get("sid"):
        store.delete(f"signin:{old_sid}")
    pending = session.get(PENDING_AUTHORIZE)
    # A fresh session and id: whatever was planted in the old cookie (session fixation) is gone.
    session.clear()
    sid = secrets.token_urlsafe(32)
    store.put(f"signin:{sid}", {"username": user.username}, SIGNIN_TTL)
    session["sid"] = sid
    return pending


def sign_out() -> None:
    """End this browser's sign-in session, here and in the store."""
    if sid := session.get("sid"):
        components().store.delete(f"signin:{sid}")
    session.clear()


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    """Show the sign-in form; on success continue the authorize request that sent the user here."""
    form = SignInForm()
    message, status = None, 200
    if form.validate_on_submit():
        try:
            user = components().users.authenticate(form.username.data, form.password.data)
        except AccountStatusError as exc:
            user, message = None, LOCKED if "locked" in str(exc) else "This account is disabled."
        else:
            message = None if user else WRONG
            if user is None and components().users.is_locked(form.username.data):
                message = LOCKED  # this failure was the one too many
        if user is not None and user.mfa_enabled:
            clock = components().clock
            session[PENDING_CODE] = {
                "username": user.username,
                "until": clock() + CODE_STEP_SECONDS,
            }
            return bare_redirect(url_for("signin.code"), 303)
        if user is not None:
            return _signed_in(user)
    elif form.csrf_token.errors:
        message, status = "The sign-in form expired. Please try again.", 400
    form.password.data = None
    return render_template("login.html", form=form, message=message), status


@bp.route("/login/code", methods=["GET", "POST"])
def code() -> Response | str | tuple[str, int]:
    """The second step for two-factor users: the code from their authenticator app."""
    pending = session.get(PENDING_CODE)
    users = components().users
    user = users.directory.user(pending["username"]) if pending else None
    if pending is None or user is None or pending["until"] < components().clock():
        session.pop(PENDING_CODE, None)
        return bare_redirect(url_for("signin.login"), 303)
    form = CodeForm()
    message = None
    if form.validate_on_submit():
        if users.is_locked(user.username):
            session.pop(PENDING_CODE, None)
            message = LOCKED
        elif verify_code(
            components().store,
            user.username,
            user.totp_secret or "",
            form.code.data,
            components().clock(),
        ):
            return _signed_in(user)
        elif users.failed(user.username):
            session.pop(PENDING_CODE, None)
            message = LOCKED
        else:
            message = "That code is not right. Enter the current code from your app."
    form.code.data = None
    return render_template("code.html", form=form, message=message)


def _signed_in(user: User) -> Response:
    """Sign user in and go on with the authorize request that sent them here, if any.

    302, as Spring Security's `SavedRequestAwareAuthenticationSuccessHandler` redirects.
    """
    components().users.succeeded(user.username)
    pending = sign_in(user)
    if pending is not None:
        # Back to our own authorize endpoint, its parameters re-encoded by us.
        return bare_redirect(f"{url_for('authorize.authorize')}?{urlencode(pending)}", 302)
    return bare_redirect(url_for("signin.index"), 302)


@bp.get("/")
def index() -> str:
    """Who is signed in here, if anyone."""
    return render_template("index.html", user=current_user(), form=SignOutForm())
