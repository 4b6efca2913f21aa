"""Connected applications: the clients the person approved (GET
/users/me/applications/approvals), each withdrawn after a confirmation step (DELETE
/users/me/applications/approvals/{approvalId}).

Withdrawing the approval of this portal's own client (COCOON_CLIENT_ID) ends this session too:
the platform ends the tokens made under an approval with it, and the next sign-in asks for the
approval again. The confirmation says so beforehand, and the signed-out page afterwards."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.account.blueprint import bp, notice
from app.auth.platform import user_api
from app.auth.views import APPROVAL_WITHDRAWN
from app.cocoon.api_http import path_segment
from app.cocoon.resources import Approval
from app.components import components
from app.sessions import endings
from app.sessions.tokens import login_required


@bp.route("/applications", methods=["GET", "POST"])
@login_required
def applications() -> str | Response:
    """The approved applications; `?withdraw=<id>` asks to confirm withdrawing one, and the
    confirmation's POST withdraws it (an id that is not the person's: the 404 page)."""
    api = user_api()
    own_client = components().settings.client_id
    if request.method == "POST":
        chosen = request.form.get("approval", "")
        # A value that is no path segment (`.`, `..`, empty...) is the 404 page, before any call.
        path_segment(chosen)
        own = any(item.id == chosen and item.client_id == own_client for item in api.approvals())
        api.withdraw_approval(chosen)
        if own:  # the platform has ended the person's tokens for this portal with it (Spring's
            # TokenApprovalStore.revokeApprovals): every session of theirs here ends now
            endings.sign_out_everywhere(g.account["user_name"], revoke=False)
            return redirect(url_for("auth.signed_out", reason=APPROVAL_WITHDRAWN), 303)
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
        own_client=own_client,
        notice=notice(),
    )


def approved_on(approval: Approval) -> tuple[str, str] | None:
    """When the application was approved: for <time datetime> and for people (UTC)."""
    moment = approval.approved_at
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ"), moment.strftime("%d %B %Y")
