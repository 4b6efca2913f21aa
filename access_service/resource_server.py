"""The user API's guard, as a Spring Security OAuth2 resource server checks a bearer token.

Every request under `/api/v1` passes here before routing (Spring's filter chain runs before the
dispatcher): the token is taken from `Authorization: Bearer ...` or an `access_token` parameter
(`BearerTokenExtractor`), then checked like `DefaultTokenServices.loadAuthentication` with a
token store: signature, `exp`, not revoked, client still registered. Only `GET /api/v1/config`
may be called without a token, but a token sent there is checked all the same.

Errors:
- no token: 401 `unauthorized` "Full authentication is required to access this resource";
- a bad token: 401 `invalid_token` "Invalid access token: <token>" or "Access token expired: ...";
both with `WWW-Authenticate: Bearer realm="oauth2-resource", error=..., error_description=...`
(`OAuth2AuthenticationEntryPoint` with the resource id as realm);
- a missing authority: 403 `access_denied` "Access is denied" (`OAuth2AccessDeniedHandler`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, cast

from flask import Flask, g, request

from .errors import OAuthError
from .extensions import components
from .tokens import InvalidToken

REALM = "oauth2-resource"  # `ResourceServerSecurityConfigurer`'s default resource id
PREFIX = "/api/v1"
PUBLIC = {"/api/v1/config"}


def init_app(app: Flask) -> None:
    """Check the bearer token of every user API request before it is routed."""
    app.before_request(_authenticate)


def requires(authority: str | None) -> Callable:
    """A view decorator: the caller's token must carry authority (None: any valid token)."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if authority is not None and authority not in g.token["authorities"]:
                raise OAuthError(403, "access_denied", "Access is denied")
            return view(*args, **kwargs)

        # Kept on the view, so the tests can hold each endpoint to the table of docs/emulator.md.
        cast(Any, guarded).required_authority = authority
        return guarded

    return decorate


def bearer_token() -> str | None:
    """The request's access token (`BearerTokenExtractor`): the header first, else the
    `access_token` parameter."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        value = header[7:].strip().split(",", 1)[0]
        return value or None
    return request.values.get("access_token") or None


def check(token: str) -> dict[str, Any]:
    """The claims of a token the user API accepts; raises the 401 OAuthError otherwise."""
    try:
        claims = components().tokens.check_access_token(token)
    except InvalidToken as exc:
        message = "Access token expired" if exc.expired else "Invalid access token"
        raise _unauthenticated("invalid_token", f"{message}: {token}") from None
    if components().directory.client(claims.get("client_id")) is None:
        raise _unauthenticated("invalid_token", f"Client not valid: {claims.get('client_id')}")
    return claims


def _authenticate() -> None:
    """Before routing: put the checked claims on `g.token`, or answer 401."""
    path = request.path
    if path != PREFIX and not path.startswith(PREFIX + "/"):
        return
    token = bearer_token()
    if token is not None:
        g.token = check(token)
    elif path not in PUBLIC:
        raise _unauthenticated(
            "unauthorized", "Full authentication is required to access this resource"
        )


def _unauthenticated(error: str, description: str) -> OAuthError:
    """A 401 with the resource server's challenge."""
    return OAuthError(401, error, description, realm=REALM)
