"""`/api/v1/users/me` (the user's account) and `/api/v1/users/me/expire` (end other sessions).

GET answers `{"id", "externalUserId", "email", "firstName", "lastName", "otherName",
"mobileNumber", "roles", "mfaEnabled"}`. PUT takes the four details, all optional strings, and
replaces all four: one left out (or null, or "") is cleared to null; `mobileNumber` must be `+`,
a country calling code and the number, spaces allowed (`+1 234 567 8910`), else 400.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, g, jsonify

from ..accounts import DETAILS
from ..data import User
from ..extensions import components
from ..resource_server import requires
from .boot import BootError, json_body

bp = Blueprint("account", __name__, url_prefix="/api/v1/users/me")

# "+", a country calling code (never starting with 0), then digits; at most 15 digits in all
# (ITU-T E.164); single spaces allowed between digits.
MOBILE_NUMBER = re.compile(r"\+[1-9](?: ?[0-9]){6,14}")
MAX_LENGTH = 255


def signed_in_user() -> User:
    """The user whose token this is; 404 when the account is gone from the data file."""
    user = components().directory.user(g.token["user_name"])
    if user is None:
        raise BootError(404, f"User {g.token['user_name']} not found")
    return user


@bp.get("")
@requires("PERM_USERINFO_GETSELF")
def get_account() -> Response:
    """The signed-in user's account."""
    return jsonify(components().accounts.account(signed_in_user()))


@bp.put("")
@requires("PERM_USERINFO_UPDATE")
def put_account() -> Response:
    """Replace the four details; the updated account. 400 for a bad member or mobile number."""
    user = signed_in_user()
    details = validate_details(json_body())
    return jsonify(components().accounts.replace_details(user, details))


@bp.put("/expire")
@requires("PERM_SELF_REVOKE_TOKENS")
def expire() -> tuple[str, int]:
    """Every refresh token of the user stops working now; access tokens live until their exp."""
    components().tokens.expire_user_tokens(signed_in_user().username)
    return "", 200


def optional_text(body: dict[str, Any], name: str) -> str | None:
    """The string member `name` of a JSON body, at most MAX_LENGTH characters (missing, null or
    "" become None); raises BootError 400 for anything else."""
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise BootError(400, f"{name} must be a string")
    if value is not None and len(value) > MAX_LENGTH:
        raise BootError(400, f"{name} must be at most {MAX_LENGTH} characters")
    return value or None


def validate_details(body: dict[str, Any]) -> dict[str, str | None]:
    """The four details from a PUT body (missing, null or "" become None); raises BootError."""
    details = {name: optional_text(body, name) for name in DETAILS}
    mobile = details["mobileNumber"]
    if mobile is not None and MOBILE_NUMBER.fullmatch(mobile) is None:
        raise BootError(
            400, "mobileNumber must start with + and the country calling code, e.g. +1 234 567 8910"
        )
    return details
