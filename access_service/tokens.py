"""Token services: access tokens, refresh tokens, authorization codes and revocation.

Plain Python with its collaborators (store, signer, clock) passed in, like Spring's
`DefaultTokenServices` with a `JwtAccessTokenConverter`.
"""

from __future__ import annotations

import secrets
import string
import time
import uuid
from collections.abc import Callable
from typing import Any

from .data import Client
from .keys import Signer
from .store import Store

CODE_ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase
CODE_LENGTH = 6  # Spring's RandomValueStringGenerator default
CODE_VALIDITY = 300
# Expired refresh tokens are kept this much longer, so using one says "expired", as Spring does.
EXPIRED_REFRESH_GRACE = 86_400


class TokenServices:
    """Issues and checks the tokens of one access-service."""

    def __init__(
        self,
        store: Store,
        signer: Signer,
        access_token_validity: int | None = None,
        refresh_token_validity: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.signer = signer
        self.access_token_validity = access_token_validity
        self.refresh_token_validity = refresh_token_validity
        self.clock = clock

    def access_validity(self, client: Client) -> int:
        """Seconds an access token for client lives (the command line overrides the client)."""
        return self.access_token_validity or client.access_token_validity_seconds

    def refresh_validity(self, client: Client) -> int:
        """Seconds a refresh token for client lives (the command line overrides the client)."""
        return self.refresh_token_validity or client.refresh_token_validity_seconds

    def access_token(
        self, client: Client, user_name: str, authorities: list[str], scope: list[str]
    ) -> dict[str, Any]:
        """Sign a new access token; returns the claims plus the token as `value`."""
        claims = {
            "exp": int(self.clock()) + self.access_validity(client),
            "user_name": user_name,
            "authorities": authorities,
            "jti": str(uuid.uuid4()),
            "client_id": client.client_id,
            "scope": scope,
        }
        return {**claims, "value": self.signer.sign(claims)}

    def grant(
        self, client: Client, user_name: str, authorities: list[str], scope: list[str]
    ) -> dict[str, Any]:
        """The token response for a successful grant: exactly the document's four fields."""
        access = self.access_token(client, user_name, authorities, scope)
        body = {"access_token": access["value"], "token_type": "bearer"}
        if client.allows("refresh_token"):
            auth = {
                "client_id": client.client_id,
                "user_name": user_name,
                "authorities": authorities,
                "scope": scope,
            }
            body["refresh_token"] = self.new_refresh_token(client, auth, access)
        body["jti"] = access["jti"]
        return body

    def new_refresh_token(
        self, client: Client, auth: dict[str, Any], access: dict[str, Any]
    ) -> str:
        """Store a new refresh token (a UUID, as on the platform) for auth."""
        value = str(uuid.uuid4())
        expires_at = int(self.clock()) + self.refresh_validity(client)
        self.save_refresh_token(value, {**auth, "expires_at": expires_at}, access)
        return value

    def save_refresh_token(
        self, value: str, record: dict[str, Any], access: dict[str, Any]
    ) -> None:
        """Store a refresh token record, remembering the latest access token made from it."""
        record = {**record, "access_jti": access["jti"], "access_exp": access["exp"]}
        ttl = record["expires_at"] - self.clock() + EXPIRED_REFRESH_GRACE
        self.store.put(f"refresh:{value}", record, max(ttl, 1))

    def read_refresh_token(self, value: str) -> dict[str, Any] | None:
        """A stored refresh token's record."""
        return self.store.get(f"refresh:{value}")

    def remove_refresh_token(self, value: str) -> bool:
        """Forget a refresh token; True when this call removed it."""
        return self.store.delete(f"refresh:{value}")

    def is_expired(self, record: dict[str, Any]) -> bool:
        """Whether a refresh token record has passed its expiry."""
        return record["expires_at"] <= self.clock()

    def new_code(self, authorization: dict[str, Any]) -> str:
        """Store an authorization request under a fresh single-use 6-character code."""
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        self.store.put(f"code:{code}", authorization, CODE_VALIDITY)
        return code

    def consume_code(self, code: str) -> dict[str, Any] | None:
        """The authorization stored under code, which is spent by this call."""
        return self.store.take(f"code:{code}")

    def revoke_access_token(self, jti: str, exp: int) -> None:
        """Refuse the access token jti from now on (until it would have expired anyway)."""
        ttl = exp - self.clock()
        if ttl > 0:
            self.store.put(f"revoked:{jti}", {"exp": exp}, ttl)

    def check_access_token(self, token: str) -> dict[str, Any]:
        """The claims of a valid, unexpired, unrevoked access token; raises InvalidToken."""
        claims = self.signer.verify(token)
        if claims is None or not isinstance(claims.get("exp"), int):
            raise InvalidToken("Token was not recognised")
        if claims["exp"] <= self.clock():
            raise InvalidToken("Token has expired")
        if self.store.get(f"revoked:{claims.get('jti')}") is not None:
            raise InvalidToken("Token was not recognised")
        return claims


class InvalidToken(Exception):
    """An access token that is forged, expired or revoked; the message says which (as Spring)."""
