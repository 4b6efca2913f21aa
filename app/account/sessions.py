"""Sessions: the person's signed-in sessions of this portal, each of which can be ended, and
"Sign out everywhere", which ends them all and asks the platform to end the person's sessions in
other applications (PUT /users/me/expire). The index: app/sessions/user_sessions.py; the endings:
app/sessions/endings.py."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.account.blueprint import bp, notice
from app.auth.platform import user_api
from app.auth.views import to_platform_sign_out
from app.cocoon.errors import AccessServiceError, PlatformError
from app.components import components
from app.sessions import endings
from app.sessions.interface import current_session
from app.sessions.store import STARTED_AT
from app.sessions.tokens import SEEN_AT, device_of, login_required
from app.sessions.user_sessions import LiveSession, UserSessions

log = logging.getLogger(__name__)


def _index() -> UserSessions:
    return components().user_sessions()


@bp.route("/sessions", methods=["GET", "POST"])
@login_required
def sessions() -> str | Response:
    """The list; its forms end one other session (`session`: its reference, never its id) or
    every session (`everywhere`)."""
    user = g.account.get("user_name") or ""
    index = _index()
    live = index.live(user) if user else []
    if request.method == "POST":
        if request.form.get("everywhere"):
            return sign_out_everywhere(user)
        wanted = request.form.get("session", "")
        for item in live:
            if index.is_reference(wanted, item.sid) and item.sid != current_session().sid:
                endings.end_session(user, item)
        return redirect(url_for("account.sessions", ended=1), 303)
    rows = [row(index, item) for item in live] or [row(index, this_session())]
    return render_template("account/sessions.html", sessions=rows, notice=notice())


def this_session() -> LiveSession:
    """This session, for a user whose token names nobody (so has no index)."""
    return LiveSession(current_session().sid, dict(current_session()))


def row(index: UserSessions, item: LiveSession) -> dict[str, Any]:
    """What the page shows of a session."""
    return {
        "reference": index.reference(item.sid),
        "device": device_of(item.data),
        "signed_in": moment(item.data.get(STARTED_AT)),
        "last_seen": moment(item.data.get(SEEN_AT)),
        "current": item.sid == current_session().sid,
    }


def moment(value: Any) -> tuple[str, str] | None:
    """An epoch time for <time datetime> and for people (UTC), None when unknown."""
    if not isinstance(value, int | float):
        return None
    utc = time.gmtime(value)
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", utc), time.strftime("%d %b %Y, %H:%M UTC", utc)


def sign_out_everywhere(user: str) -> Response:
    """Ask the platform to end the person's sessions everywhere (while this session's token
    still works), then end every session of this portal, this one included."""
    note = "everywhere"
    try:
        user_api().expire()
    except (PlatformError, AccessServiceError) as exc:
        log.warning("the platform did not end the user's other sessions: %s", exc)
        note = "everywhere-partial"
    if user:
        endings.sign_out_everywhere(user)
    else:
        endings.sign_out()
    return to_platform_sign_out(note)
