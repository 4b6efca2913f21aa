"""HTTP Basic client authentication in front of the OAuth endpoints, as Spring Security's
filter chain runs it before any endpoint (or Spring MVC's 405) is reached.

Spring Security OAuth2 2.4.0's `AuthorizationServerSecurityConfiguration` guards the token,
`check_token` and `token_key` paths (any method) with `httpBasic().realmName("oauth2/client")`
(`AuthorizationServerSecurityConfigurer`) and no entry point of its own, so a failure is Spring
Security's `BasicAuthenticationEntryPoint`: `401`, `WWW-Authenticate: Basic realm="oauth2/client"`
(no `error=`), and `sendError(401)`, which Spring Boot answers with its error body
(`access_service.boot`). It is the same answer for wrong, missing or malformed Basic
credentials, a Bearer header in place of Basic (`BasicAuthenticationFilter` reads Basic only), and
`client_secret` in the form (`allowFormAuthenticationForClients` is off, so no
`ClientCredentialsTokenEndpointFilter` reads it). The emulator's own revocation endpoint
(RFC 7009) sits behind the same filter.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request
from werkzeug.wrappers import Response

from .boot import boot_error
from .data import Client
from .extensions import components

REALM = "oauth2/client"
TOKEN_KEY_PATH = "/api/oauth/token_key"
# `tokenEndpointPath` and `checkTokenPath` (`checkTokenAccess("isAuthenticated()")`), and revoke.
CLIENT_PATHS = frozenset({"/api/oauth/token", "/api/oauth/check_token", "/api/oauth/revoke"})


class ClientAuthenticationFailed(Exception):
    """The request's client credentials are missing, malformed or wrong."""


def init_app(app: Flask) -> None:
    """Authenticate the client of every request to a guarded path before it is routed."""
    app.before_request(_authenticate)
    app.register_error_handler(ClientAuthenticationFailed, _challenge)


def authenticated_client() -> Client:
    """The client this request authenticated as (only on a guarded path)."""
    client: Client = g.client
    return client


def _guarded(path: str) -> bool:
    """Whether path needs client credentials: `token_key` only with `--token-key-auth basic`
    (`tokenKeyAccess("isAuthenticated()")`; `permitAll()` with `none`)."""
    if path == TOKEN_KEY_PATH:
        return bool(current_app.config["TOKEN_KEY_AUTH"] == "basic")
    return path in CLIENT_PATHS


def _authenticate() -> None:
    """Before routing: put the client on `g.client`, or raise ClientAuthenticationFailed.

    werkzeug reads a malformed Basic header (bad base64, no colon) as no header at all, as
    `BasicAuthenticationConverter` fails it; either way the answer is the entry point's.
    """
    if not _guarded(request.path):
        return
    auth = request.authorization
    if auth is None or auth.type != "basic" or not auth.username:
        raise ClientAuthenticationFailed
    client = components().directory.authenticate_client(auth.username, auth.password or "")
    if client is None:
        raise ClientAuthenticationFailed
    g.client = client


def _challenge(_: ClientAuthenticationFailed) -> Response:
    """`BasicAuthenticationEntryPoint.commence`, then Spring Boot's error body."""
    return boot_error(401, headers={"WWW-Authenticate": f'Basic realm="{REALM}"'})
