"""Counters for tests and operators: how many token and revocation requests arrived.

They live in the store (Redis INCR under gunicorn), so every worker counts into the same number.
"""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request
from werkzeug.wrappers import Response

from .extensions import components
from .parameters import parameters

bp = Blueprint("emulator", __name__, url_prefix="/emulator")

TOKEN_REQUEST_KINDS = ("authorization_code", "password", "refresh_token", "other")
REVOCATIONS = "stats:revocations"


TOKEN_PATH = "/api/oauth/token"
REVOKE_PATH = "/api/oauth/revoke"


def init_app(app: Flask) -> None:
    """Count token and revocation requests as they arrive, before client authentication
    (so a request from a client with a wrong secret is counted too). Call it before
    `client_auth.init_app`: before-request functions run in the order they were added."""
    app.before_request(_count)


def _count() -> None:
    """Count a POST to the token or the revocation endpoint."""
    if request.method != "POST":
        return
    if request.path == TOKEN_PATH:
        count_token_request(parameters().get("grant_type"))
    elif request.path == REVOKE_PATH:
        count_revocation()


def _token_key(kind: str) -> str:
    """The counter of token requests of one kind."""
    return f"stats:token_requests:{kind}"


def count_token_request(grant_type: str | None) -> None:
    """Count a token request by its grant type, whether it succeeds or not."""
    kind = grant_type if grant_type in TOKEN_REQUEST_KINDS[:-1] else "other"
    components().store.incr(_token_key(kind))


def count_revocation() -> None:
    """Count a revocation request, whether it revokes anything or not."""
    components().store.incr(REVOCATIONS)


@bp.get("/stats")
def stats() -> Response:
    """Token requests by grant type and revocation requests since start (or the last reset)."""
    store = components().store
    return jsonify(
        token_requests={kind: store.counter(_token_key(kind)) for kind in TOKEN_REQUEST_KINDS},
        revocations=store.counter(REVOCATIONS),
    )


@bp.post("/stats/reset")
def reset() -> Response:
    """Set every counter back to zero."""
    keys = [_token_key(kind) for kind in TOKEN_REQUEST_KINDS] + [REVOCATIONS]
    components().store.reset_counters(keys)
    return stats()
