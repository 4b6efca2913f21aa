"""`/api/v1/users/me/applications/approvals`: the clients the user approved, and withdrawing one.

GET answers `{"applications": [{"id", "clientId", "clientDescription", "createdAt"}, ...]}`,
`createdAt` in ISO 8601 (Spring Boot's Jackson default for a date). DELETE `/{approvalId}`
withdraws one of the caller's own approvals: the access tokens made under it stop working at once
and its refresh tokens with them; the client has to ask again. Unknown or another user's id: 404.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, jsonify

from ..extensions import components
from ..resource_server import requires
from .account import signed_in_user
from .boot import BootError

bp = Blueprint("applications", __name__, url_prefix="/api/v1/users/me/applications")


@bp.get("/approvals")
@requires("PERM_APP_APPROVAL_LIST")
def list_approvals() -> Response:
    """The user's approvals, oldest first."""
    directory = components().directory
    applications = []
    for approval in components().approvals.list(signed_in_user().username):
        client = directory.client(approval["clientId"])
        created = datetime.fromtimestamp(approval["createdAt"], UTC)
        applications.append(
            {
                "id": approval["id"],
                "clientId": approval["clientId"],
                "clientDescription": client.description if client else "",
                "createdAt": created.isoformat(timespec="milliseconds"),
            }
        )
    return jsonify(applications=applications)


@bp.delete("/approvals/<approval_id>")
@requires("PERM_APP_APPROVAL_REVOKE")
def delete_approval(approval_id: str) -> tuple[str, int]:
    """Withdraw an approval and end the tokens made under it; 404 if the user has no such one."""
    removed = components().approvals.withdraw(signed_in_user().username, approval_id)
    if removed is None:
        raise BootError(404, f"No approval with id {approval_id}")
    for jti, exp in removed["tokens"]:
        components().tokens.revoke_access_token(jti, exp)
    return "", 200
