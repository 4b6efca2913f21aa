"""Keys and token checks: `token_key`, the JWK set, `check_token` and RFC 7009 revocation."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from werkzeug.wrappers import Response

from .boot import boot_error
from .client_auth import authenticated_client
from .data import Client
from .errors import NO_STORE, OAuthError, invalid_request
from .extensions import components
from .parameters import parameters
from .tokens import InvalidToken

bp = Blueprint("introspection", __name__, url_prefix="/api/oauth")


@bp.get("/token_key")
def token_key() -> Response:
    """The public key that verifies access tokens, in Spring's format (`TokenKeyEndpoint`).

    Who may read it is `AuthorizationServerSecurityConfigurer.tokenKeyAccess`: Spring's default
    is `denyAll()`, deployments set `permitAll()` (here `--token-key-auth none`) or
    `isAuthenticated()`, which asks for the client's HTTP Basic credentials (`basic`,
    checked by `access_service.client_auth` before this runs).
    """
    return jsonify(alg="SHA256withRSA", value=components().signer.public_pem())


@bp.get("/jwks")
def jwks() -> Response:
    """The same key as an RFC 7517 JWK set."""
    return jsonify(components().signer.jwks())


@bp.post("/check_token")
def check_token() -> Response:
    """An access token's claims plus `"active": true`, or 400 invalid_token
    (`CheckTokenEndpoint.checkToken`, POST only since 2.4.0).

    A request without `token` fails Spring MVC's `@RequestParam("token")`
    (`MissingServletRequestParameterException`, which the endpoint's own exception handler does
    not take): Spring Boot's 400 body. An empty `token` reaches the token services and is not
    recognised. The answer sets no caching header: Spring Security's default applies.
    """
    token = parameters().get("token")
    if token is None:
        return boot_error(400)
    try:
        claims = components().tokens.check_access_token(token)
    except InvalidToken as exc:
        raise OAuthError(400, "invalid_token", str(exc)) from None
    return jsonify({**claims, "active": True})


@bp.post("/revoke")
def revoke() -> tuple[str, int, dict[str, str]]:
    """Revoke a refresh or access token of the calling client; 200 even for unknown tokens."""
    client = authenticated_client()
    token = request.form.get("token")
    if not token:
        raise invalid_request("Missing token")
    # The hint only decides which kind to try first (RFC 7009 section 2.1).
    if request.form.get("token_type_hint") == "access_token":
        _revoke_access_token(token, client) or _revoke_refresh_token(token, client)
    else:
        _revoke_refresh_token(token, client) or _revoke_access_token(token, client)
    return "", 200, NO_STORE


def _revoke_refresh_token(token: str, client: Client) -> bool:
    """Forget a refresh token of client's, and the last access token made from it."""
    tokens = components().tokens
    record = tokens.read_refresh_token(token)
    # Another client's token is left alone (and not reported, so it cannot be probed).
    if record is None or record["client_id"] != client.client_id:
        return False
    tokens.remove_refresh_token(token)
    tokens.revoke_access_token(record["access_jti"], record["access_exp"])
    return True


def _revoke_access_token(token: str, client: Client) -> bool:
    """Refuse an access token of client's from now on."""
    claims = components().signer.verify(token)
    if claims is None or claims.get("client_id") != client.client_id:
        return False
    components().tokens.revoke_access_token(claims["jti"], claims["exp"])
    return True
