"""Tokens shaped like the platform's, signed with a throwaway key, for tests that need no server."""

from __future__ import annotations

import hashlib
import os
import uuid
import zlib

import msgspec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from joserfc import jwt
from joserfc.jwk import RSAKey

from app.cocoon.packing import pack_jwt
from app.cocoon.tokens import TokenSet

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


def seal_like_an_earlier_build(key: bytes, tokens: TokenSet) -> bytes:
    """A token set sealed as earlier development builds stored it (version 1): zlib of a
    msgpack map of the set's fields, the JWT as its decoded parts, AES-256-GCM."""
    data = tokens.to_dict()
    data["access_token"] = pack_jwt(tokens.access_token)
    nonce = os.urandom(12)
    plaintext = zlib.compress(msgspec.msgpack.encode(data), 6)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, b"cocoon-portal token set v1")
    return b"\x01" + hashlib.sha256(key).digest()[:4] + nonce + ciphertext
