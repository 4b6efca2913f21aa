"""`/api/v1/users/me/notifications/email`: how often "shared with you" emails come.

GET answers `{"notificationPreferences": [{"name", "code", "selected"}, ...]}`, every choice with
the current one selected; PUT takes `{"code": "ITEM" | "DAILY" | "WEEKLY"}` (else 400) and
answers the same list.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from ..accounts import NOTIFICATION_CHOICES
from ..extensions import components
from ..resource_server import requires
from .account import signed_in_user
from .boot import BootError, json_body

bp = Blueprint("notifications", __name__, url_prefix="/api/v1/users/me/notifications")


@bp.get("/email")
@requires("PERM_USERINFO_GET_NOTIFY_PREF")
def get_email() -> Response:
    """Every choice, the user's own selected."""
    return _preferences()


@bp.put("/email")
@requires("PERM_USERINFO_EDIT_NOTIFY_PREF")
def put_email() -> Response:
    """Change the choice; the list as GET answers it."""
    code = json_body().get("code")
    if code not in NOTIFICATION_CHOICES:
        raise BootError(400, f"code must be one of {', '.join(NOTIFICATION_CHOICES)}")
    components().accounts.choose_email_notifications(signed_in_user(), code)
    return _preferences()


def _preferences() -> Response:
    """The choices with the user's current one selected."""
    current = components().accounts.email_notifications(signed_in_user())
    choices = [
        {"name": name, "code": code, "selected": code == current}
        for code, name in NOTIFICATION_CHOICES.items()
    ]
    return jsonify(notificationPreferences=choices)
