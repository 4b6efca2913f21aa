"""Email notifications: how often "shared with you" emails come (GET and PUT
/users/me/notifications/email).

A form sent without one of the offered choices is answered here, in the form's words, without a
call; a choice the platform refuses all the same is shown in words too (its message names the
member `code` and the codes, which mean nothing to people: it is logged instead)."""

from __future__ import annotations

import logging

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.account.blueprint import bp, notice
from app.auth.platform import user_api
from app.cocoon.errors import Rejected
from app.cocoon.resources import NotificationPreference
from app.sessions.tokens import login_required

log = logging.getLogger(__name__)

NOT_CHOSEN = "Choose how often Cocoon Data should email you, then save your choice."
REFUSED = "Cocoon Data did not accept this choice. Choose one of the options below and try again."


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
def notifications() -> str | Response | tuple[str, int]:
    """The current choice, and a form to change it."""
    api = user_api()
    if request.method == "POST":
        choices = api.email_notifications()
        code = request.form.get("code", "")
        if code not in {choice.code for choice in choices}:
            return render_notifications(choices, NOT_CHOSEN), 400
        try:
            api.choose_email_notifications(code)
        except Rejected as refused:
            log.info("email notification choice refused: %s", refused.message)
            return render_notifications(api.email_notifications(), REFUSED), 400
        return redirect(url_for("account.notifications", saved=1), 303)
    return render_notifications(api.email_notifications())


def render_notifications(choices: list[NotificationPreference], problem: str | None = None) -> str:
    """The page with the platform's choices, the current one checked, and what was wrong with
    the form sent, if anything."""
    current = next((choice for choice in choices if choice.selected), None)
    return render_template(
        "account/notifications.html",
        choices=choices,
        current=current,
        problem=problem,
        notice=notice(),
    )
