"""The token endpoint's decisions, in the order Spring's `TokenEndpoint` and granters make them.

No Flask here: parameters and the authenticated client come in, a token response comes out or an
`OAuthError` is raised with the platform's status, error code and description.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .data import Client, Directory
from .errors import OAuthError, invalid_client, invalid_grant, invalid_request
from .pkce import verifier_matches
from .tokens import TokenServices

Params = Mapping[str, str]


def parse_scope(value: str | None) -> list[str]:
    """A scope parameter as a list, split on spaces or commas as Spring does, without repeats."""
    return list(dict.fromkeys((value or "").replace(",", " ").split()))


def validate_scope(requested: list[str], client: Client) -> list[str]:
    """The scope to grant: the requested one if the client has it all, else the client's."""
    for scope in requested:
        if client.scope and scope not in client.scope:
            raise OAuthError(
                400, "invalid_scope", f"Invalid scope: {scope}", scope=" ".join(client.scope)
            )
    granted = requested or client.scope
    if not granted:
        raise OAuthError(
            400,
            "invalid_scope",
            "Empty scope (either the client or the user is not allowed the requested scopes)",
        )
    return granted


def token_response(
    params: Params, client: Client, directory: Directory, tokens: TokenServices
) -> dict[str, Any]:
    """Run a token request from an authenticated client; the response body or an OAuthError."""
    given_client_id = params.get("client_id")
    if given_client_id is not None and given_client_id != client.client_id:
        raise invalid_client("Given client ID does not match authenticated client")
    scope = validate_scope(parse_scope(params.get("scope")), client)
    grant_type = params.get("grant_type", "")
    if not grant_type:
        raise invalid_request("Missing grant type")
    if grant_type == "implicit":
        raise invalid_grant("Implicit grant type not supported from token endpoint")
    granter = GRANTERS.get(grant_type)
    if granter is None:
        raise OAuthError(400, "unsupported_grant_type", f"Unsupported grant type: {grant_type}")
    if not client.allows(grant_type):
        raise invalid_client(f"Unauthorized grant type: {grant_type}")
    return granter(params, client, scope, directory, tokens)


def authorization_code(
    params: Params, client: Client, scope: list[str], directory: Directory, tokens: TokenServices
) -> dict[str, Any]:
    """Swap a code for tokens; the scope is the one approved at the authorize step."""
    code = params.get("code")
    if code is None:
        raise invalid_request("An authorization code must be supplied.")
    # Spent before any other check, so a code that fails once can never be tried again.
    auth = tokens.consume_code(code)
    if auth is None:
        raise invalid_grant(f"Invalid authorization code: {code}")
    redirect_uri = params.get("redirect_uri")
    if (redirect_uri is not None or auth["redirect_uri_param"] is not None) and (
        redirect_uri != auth["redirect_uri"]
    ):
        raise invalid_grant("Redirect URI mismatch.")
    if auth["client_id"] != client.client_id:
        raise invalid_client("Client ID mismatch")
    if auth.get("code_challenge"):
        verifier = params.get("code_verifier")
        if not verifier:
            raise invalid_grant("Code verifier required.")
        if not verifier_matches(verifier, auth["code_challenge"]):
            raise invalid_grant("Invalid code verifier.")
    return tokens.grant(client, auth["user_name"], auth["authorities"], auth["scope"])


def password(
    params: Params, client: Client, scope: list[str], directory: Directory, tokens: TokenServices
) -> dict[str, Any]:
    """Swap a user's email address and password for tokens."""
    user = directory.authenticate_user(params.get("username", ""), params.get("password", ""))
    if user is None:
        raise invalid_grant("Bad credentials")
    return tokens.grant(client, user.username, user.authorities, scope)


def refresh_token(
    params: Params, client: Client, scope: list[str], directory: Directory, tokens: TokenServices
) -> dict[str, Any]:
    """A new access token for a refresh token; the refresh token is reused or rotated."""
    value = params.get("refresh_token")
    if not value:
        raise invalid_request("refresh_token parameter not provided")
    record = tokens.read_refresh_token(value)
    if record is None:
        raise invalid_grant(f"Invalid refresh token: {value}")
    if record["client_id"] != client.client_id:
        raise invalid_grant(f"Wrong client for this refresh token: {value}")
    if tokens.is_expired(record):
        tokens.remove_refresh_token(value)
        raise OAuthError(401, "invalid_token", f"Invalid refresh token (expired): {value}")
    granted = _narrow(record["scope"], parse_scope(params.get("scope")))
    if not client.reuse_refresh_token and not tokens.remove_refresh_token(value):
        # Another request rotated this token a moment ago: it is spent.
        raise invalid_grant(f"Invalid refresh token: {value}")
    access = tokens.access_token(client, record["user_name"], record["authorities"], granted)
    if client.reuse_refresh_token:
        tokens.save_refresh_token(value, record, access)
    else:
        auth = {key: record[key] for key in ("client_id", "user_name", "authorities", "scope")}
        value = tokens.new_refresh_token(client, auth, access)
    return {
        "access_token": access["value"],
        "token_type": "bearer",
        "refresh_token": value,
        "jti": access["jti"],
    }


def _narrow(original: list[str], requested: list[str]) -> list[str]:
    """A refresh may ask for less scope than the original grant, never more."""
    if not requested:
        return original
    if not set(requested) <= set(original):
        raise OAuthError(
            400,
            "invalid_scope",
            f"Unable to narrow the scope of the client authentication to [{', '.join(requested)}].",
            scope=" ".join(original),
        )
    return requested


GRANTERS: dict[str, Callable[..., dict[str, Any]]] = {
    "authorization_code": authorization_code,
    "password": password,
    "refresh_token": refresh_token,
}
