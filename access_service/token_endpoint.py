"""`POST /api/oauth/token`, behind HTTP Basic client authentication as on the platform."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from werkzeug.wrappers import Response

from .data import Client
from .errors import NO_STORE, OAuthError, unauthorized
from .extensions import components
from .grants import token_response
from .stats import count_token_request

bp = Blueprint("token", __name__)


def authenticate_client() -> Client:
    """The client named by the request's Basic credentials; raises a 401 OAuthError (Spring's
    `BasicAuthenticationFilter` before the endpoint, so its challenge is the Basic one)."""
    auth = request.authorization
    if auth is None or auth.type != "basic" or not auth.username:
        raise unauthorized("Full authentication is required to access this resource")
    client = components().directory.authenticate_client(auth.username, auth.password or "")
    if client is None:
        raise unauthorized("Bad credentials")
    return client


@bp.route("/api/oauth/token", methods=["GET", "POST"])
def token() -> Response:
    """Issue tokens for the authorization_code, password and refresh_token grants."""
    if request.method != "POST":
        # Spring's answer to a GET; the route accepts GET only to give it.
        error = OAuthError(
            405, "method_not_allowed", f"Request method '{request.method}' not supported"
        )
        response = error.response()
        response.headers["Allow"] = "POST"
        return response
    # Query string and form body only: a JSON body is not read, as on the platform.
    params = request.values.to_dict()
    count_token_request(params.get("grant_type"))
    client = authenticate_client()
    body = token_response(params, client, components().users, components().tokens)
    response = jsonify(body)
    response.headers.update(NO_STORE)
    return response
