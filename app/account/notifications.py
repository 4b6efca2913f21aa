"""Email notifications: how often "shared with you" emails come (GET and PUT
/users/me/notifications/email)."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.account.blueprint import bp, notice
from app.auth.platform import user_api
from app.cocoon.errors import Rejected
from app.cocoon.resources import NotificationPreference
from app.sessions.tokens import login_required


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
def notifications() -> str | Response | tuple[str, int]:
    """The current choice, and a form to change it."""
    api = user_api()
    if request.method == "POST":
        try:
            api.choose_email_notifications(request.form.get("code", ""))
        except Rejected as refused:
            return render_notifications(api.email_notifications(), refused), 400
        return redirect(url_for("account.notifications", saved=1), 303)
    return render_notifications(api.email_notifications())


def render_notifications(
    choices: list[NotificationPreference], refused: Rejected | None = None
) -> str:
    """The page with the platform's choices, the current one checked."""
    current = next((choice for choice in choices if choice.selected), None)
    return render_template(
        "account/notifications.html",
        choices=choices,
        current=current,
        refused=refused,
        notice=notice(),
    )
