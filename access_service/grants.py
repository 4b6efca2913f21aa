"""The token endpoint's decisions, in the order Spring's `TokenEndpoint` and granters make them.

No Flask here: parameters and the authenticated client come in, a token response comes out or an
`OAuthError` is raised with the platform's status, error code and description.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from .data import Client, User
from .errors import OAuthError, invalid_client, invalid_grant, invalid_request
from .pkce import verifier_matches
from .tokens import TokenServices
from .users import AccountStatusError, UserNotFound, Users

Params = Mapping[str, str]
# `OAuth2Utils.parseParameterList` splits on the regex `[\s+]`: one whitespace character (Java's
# ASCII `\s`) or a plus sign, never a comma. So `SCOPE_A,SCOPE_B` is one (unknown) scope, and two
# spaces in a row make an empty scope between them.
_SCOPE_SEPARATOR = re.compile(r"[ \t\n\x0b\f\r+]")


def parse_scope(value: str | None) -> list[str]:
    """A scope parameter as Spring's `OAuth2Utils.parseParameterList` reads it: a sorted set
    (`TreeSet`), split on single whitespace characters and `+` only (not on commas)."""
    if value is None or not value.strip():
        return []
    parts = _SCOPE_SEPARATOR.split(value)
    while parts and parts[-1] == "":
        parts.pop()  # Java's String.split drops trailing empty strings, and only those
    return sorted(set(parts))


def validate_scope(requested: list[str], client: Client) -> list[str]:
    """The scope to grant: the requested one if the client has it all, else the client's
    (`DefaultOAuth2RequestFactory.extractScopes`, `DefaultOAuth2RequestValidator`)."""
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
    params: Params, client: Client, users: Users, tokens: TokenServices
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
        # 2.3.7 and later: no value after the message (`CompositeTokenGranter` returns null,
        # then `TokenEndpoint` throws `UnsupportedGrantTypeException("Unsupported grant type")`).
        raise OAuthError(400, "unsupported_grant_type", "Unsupported grant type")
    if not client.allows(grant_type):
        raise invalid_client(f"Unauthorized grant type: {grant_type}")
    return granter(params, client, scope, users, tokens)


def authorization_code(
    params: Params, client: Client, scope: list[str], users: Users, tokens: TokenServices
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
    return tokens.grant(client, _authentication(client, auth, auth["scope"]))


def password(
    params: Params, client: Client, scope: list[str], users: Users, tokens: TokenServices
) -> dict[str, Any]:
    """Swap a user's email address and password for tokens (`ResourceOwnerPasswordTokenGranter`:
    a locked or disabled account and bad credentials are all 400 invalid_grant)."""
    try:
        user = users.authenticate(params.get("username", ""), params.get("password", ""))
    except AccountStatusError as exc:
        raise invalid_grant(str(exc)) from None
    if user is None:
        raise invalid_grant("Bad credentials")
    if user.mfa_enabled:
        # The emulator's choice (the platform documents none): a password alone must not get
        # round the second factor, so two-factor users sign in through the authorize endpoint.
        raise invalid_grant("Two-factor authentication required: sign in through the browser")
    users.succeeded(user.username)
    return tokens.grant(client, _authentication(client, {"user_name": user.username}, scope, user))


def refresh_token(
    params: Params, client: Client, scope: list[str], users: Users, tokens: TokenServices
) -> dict[str, Any]:
    """A new access token for a refresh token, in `DefaultTokenServices.refreshAccessToken`'s
    order: read, load the user again, check the client, drop the old access token (shared
    store), check expiry, narrow the scope, rotate or reuse."""
    value = params.get("refresh_token")
    # 2.4.0 has no check of its own for a missing parameter: the token store finds nothing,
    # and Java prints the missing value as "null".
    record = tokens.read_refresh_token(value) if value else None
    if value is None or record is None:
        raise invalid_grant(f"Invalid refresh token: {'null' if value is None else value}")
    user = _reload_user(users, record["user_name"])
    if record["client_id"] != client.client_id:
        raise invalid_grant(f"Wrong client for this refresh token: {value}")
    tokens.remove_access_token_using_refresh_token(record)
    if tokens.is_expired(record):
        tokens.remove_refresh_token(value)
        raise OAuthError(401, "invalid_token", f"Invalid refresh token (expired): {value}")
    # The refresh token's own scope, or less of it (the token request's default scope is not
    # used: `TokenEndpoint` resets it to the `scope` parameter for refreshes).
    granted = _narrow(record["scope"], parse_scope(params.get("scope")))
    auth = _authentication(client, record, granted, user)
    if not client.reuse_refresh_token and not tokens.remove_refresh_token(value):
        # Another request rotated this token a moment ago: it is spent.
        raise invalid_grant(f"Invalid refresh token: {value}")
    access = tokens.access_token(client, auth)
    if client.reuse_refresh_token:
        tokens.save_refresh_token(value, {**record, "authorities": user.authorities}, access)
    else:
        value = tokens.new_refresh_token(client, {**auth, "scope": record["scope"]}, access)
    tokens.remember_grant(client, auth, access, value)
    return tokens.response(access, value)


def _reload_user(users: Users, username: str) -> User:
    """The user as the directory has them now (`PreAuthenticatedAuthenticationProvider`): a
    deleted, disabled or locked user is refused with 401 unauthorized, as
    `DefaultWebResponseExceptionTranslator` turns any `AuthenticationException` into."""
    try:
        user = users.load(username)
        users.check_status(user)
    except (UserNotFound, AccountStatusError) as exc:
        raise OAuthError(401, "unauthorized", str(exc)) from None
    return user


def _authentication(
    client: Client, source: Mapping[str, Any], scope: list[str], user: User | None = None
) -> dict[str, Any]:
    """The authentication a token is made for: client, user, authorities, scope, approval."""
    return {
        "client_id": client.client_id,
        "user_name": source["user_name"],
        "authorities": user.authorities if user else source["authorities"],
        "scope": scope,
        "approval_id": source.get("approval_id"),
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


def client_credentials(
    params: Params, client: Client, scope: list[str], users: Users, tokens: TokenServices
) -> dict[str, Any]:
    """2.4.0's `CompositeTokenGranter` always holds a `ClientCredentialsTokenGranter`, so a
    client without the grant is refused as for any other (401 invalid_client "Unauthorized
    grant type: client_credentials", checked before this runs). Tokens for a client alone
    are not emulated (no demo client has the grant; access_service/README.md lists it)."""
    raise OAuthError(400, "unsupported_grant_type", "Unsupported grant type")


GRANTERS: dict[str, Callable[..., dict[str, Any]]] = {
    "authorization_code": authorization_code,
    "password": password,
    "refresh_token": refresh_token,
    "client_credentials": client_credentials,
}
