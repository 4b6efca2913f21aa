"""`POST /api/oauth/token`, behind HTTP Basic client authentication as on the platform
(`access_service.client_auth` has authenticated the client before this runs)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from werkzeug.wrappers import Response

from .client_auth import authenticated_client
from .errors import NO_STORE, OAuthError
from .extensions import components
from .grants import token_response
from .parameters import parameters

bp = Blueprint("token", __name__)


@bp.route("/api/oauth/token", methods=["GET", "POST"])
def token() -> Response:
    """Issue tokens for the authorization_code, password and refresh_token grants.

    A GET from an authenticated client is `TokenEndpoint.getAccessToken` refusing it
    (`allowedRequestMethods` is POST only) through `DefaultWebResponseExceptionTranslator`:
    405 `method_not_allowed`. Other methods are not mapped at all (Spring Boot's 405 body).
    """
    if request.method != "POST":
        raise OAuthError(
            405, "method_not_allowed", f"Request method '{request.method}' not supported"
        )
    # Query string and form body only, read as Tomcat reads them (access_service/parameters.py).
    params = parameters()
    body = token_response(params, authenticated_client(), components().users, components().tokens)
    response = jsonify(body)
    # `TokenEndpoint.getResponse`: its own headers, the Content-Type with its charset.
    response.headers.update(NO_STORE)
    response.headers["Content-Type"] = "application/json;charset=UTF-8"
    return response
