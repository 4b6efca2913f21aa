"""Tokens shaped like the platform's, signed with a throwaway key, for tests that need no server."""

from __future__ import annotations

import uuid

from joserfc import jwt
from joserfc.jwk import RSAKey

KEY = RSAKey.generate_key(2048)


def make_jwt(
    exp: float,
    user_name: str = "alex.originator@xy-company.com",
    authorities: list[str] | None = None,
    scope: list[str] | None = None,
    key: RSAKey = KEY,
) -> str:
    """An RS256 JWT with the claims of Spring's JwtAccessTokenConverter, header {"alg":"RS256"}."""
    claims = {
        "exp": int(exp),
        "user_name": user_name,
        "authorities": authorities if authorities is not None else ["ROLE_ORIGINATOR", "PERM_VIEW"],
        "jti": str(uuid.uuid4()),
        "client_id": "exampleClientApplication",
        "scope": scope if scope is not None else ["SCOPE_VIEW"],
    }
    return jwt.encode({"alg": "RS256"}, claims, key, default_type=None)


def jwt_with_claims(claims: dict, key: RSAKey = KEY) -> str:
    """An RS256 JWT carrying exactly `claims`, whatever they hold (for untrusted-input tests)."""
    return jwt.encode({"alg": "RS256"}, claims, key, default_type=None)


def token_response(
    exp: float, refresh_token: str | None = "r-1", authorities=None, scope=None, **extra
) -> dict:
    """A token endpoint body as the platform sends it: no expires_in, no scope."""
    body = {
        "access_token": make_jwt(exp, authorities=authorities, scope=scope),
        "token_type": "bearer",
        "jti": str(uuid.uuid4()),
    }
    if refresh_token:
        body["refresh_token"] = refresh_token
    body.update(extra)
    return body
