"""Connected applications: the clients the person approved (GET
/users/me/applications/approvals), each withdrawn after a confirmation step (DELETE
/users/me/applications/approvals/{approvalId})."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.account.blueprint import bp, notice
from app.auth.platform import user_api
from app.cocoon.resources import Approval
from app.sessions.tokens import login_required


@bp.route("/applications", methods=["GET", "POST"])
@login_required
def applications() -> str | Response:
    """The approved applications; `?withdraw=<id>` asks to confirm withdrawing one, and the
    confirmation's POST withdraws it (an id that is not the person's: the 404 page)."""
    api = user_api()
    if request.method == "POST":
        # A value that is no path segment (`.`, `..`, empty...) is the 404 page, uncalled.
        api.withdraw_approval(request.form.get("approval", ""))
        return redirect(url_for("account.applications", withdrawn=1), 303)
    approvals = api.approvals()
    confirming: Approval | None = None
    if wanted := request.args.get("withdraw"):
        confirming = next((item for item in approvals if item.id == wanted), None)
        if confirming is None:
            abort(404, description="That application is not among the ones you approved.")
    return render_template(
        "account/applications.html",
        approvals=[(item, approved_on(item)) for item in approvals],
        confirming=confirming,
        notice=notice(),
    )


def approved_on(approval: Approval) -> tuple[str, str] | None:
    """When the application was approved: for <time datetime> and for people (UTC)."""
    moment = approval.approved_at
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ"), moment.strftime("%d %B %Y")
