"""Token services: access tokens, refresh tokens, authorization codes and revocation.

Plain Python with its collaborators (store, signer, approvals, clock) passed in, like Spring's
`DefaultTokenServices` with a `JwtAccessTokenConverter`. An "authentication" here is the dict
`{"client_id", "user_name", "authorities", "scope", "approval_id"}`; times are epoch seconds.

Two token stores (`--token-store`):
- `per-grant` (the default): every grant signs a new access token and makes a new refresh token.
- `shared`: as Spring with a `JdbcTokenStore`: the same user, client and scope get the same access
  and refresh token while the access token is valid, and a refresh removes the old access token.
"""

from __future__ import annotations

import hashlib
import secrets
import string
import time
import uuid
from collections.abc import Callable
from typing import Any

from .approvals import Approvals
from .data import Client
from .keys import Signer
from .store import Store

TOKEN_STORES = ("per-grant", "shared")
# "spring": what a real 2.4.0 server writes; "document": the platform document's four keys.
TOKEN_RESPONSES = ("spring", "document")
CODE_ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase
CODE_LENGTH = 6  # Spring's RandomValueStringGenerator default
CODE_VALIDITY = 300
# Expired refresh tokens are kept this much longer, so using one says "expired", as Spring does.
EXPIRED_REFRESH_GRACE = 86_400

Record = dict[str, Any]


class InvalidToken(Exception):
    """An access token that is forged, expired or revoked; `expired` tells the last apart."""

    def __init__(self, message: str, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


def authentication_key(auth: Record) -> str:
    """`DefaultAuthenticationKeyGenerator`: MD5 of user name, client id and sorted scope."""
    values = f"{{username={auth['user_name']}, client_id={auth['client_id']}, "
    values += f"scope={' '.join(sorted(auth['scope']))}}}"
    return hashlib.md5(values.encode(), usedforsecurity=False).hexdigest()


class TokenServices:
    """Issues and checks the tokens of one access-service."""

    def __init__(
        self,
        store: Store,
        signer: Signer,
        approvals: Approvals,
        *,
        access_token_validity: int | None = None,
        refresh_token_validity: int | None = None,
        token_store: str = "per-grant",
        token_response: str = "spring",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if token_store not in TOKEN_STORES:
            raise ValueError(f"token store must be one of {TOKEN_STORES}, not {token_store!r}")
        if token_response not in TOKEN_RESPONSES:
            raise ValueError(f"token response must be one of {TOKEN_RESPONSES}")
        self.document_response = token_response == "document"
        self.store, self.signer, self.approvals = store, signer, approvals
        self.access_token_validity = access_token_validity
        self.refresh_token_validity = refresh_token_validity
        self.shared = token_store == "shared"
        self.clock = clock

    def access_validity(self, client: Client) -> int:
        """Seconds an access token for client lives (the command line overrides the client)."""
        return self.access_token_validity or client.access_token_validity_seconds

    def refresh_validity(self, client: Client) -> int:
        """Seconds a refresh token for client lives (the command line overrides the client)."""
        return self.refresh_token_validity or client.refresh_token_validity_seconds

    def access_token(self, client: Client, auth: Record) -> Record:
        """Sign a new access token; returns the claims plus the token as `value`."""
        claims = {
            "exp": int(self.clock()) + self.access_validity(client),
            "user_name": auth["user_name"],
            "authorities": auth["authorities"],
            "jti": str(uuid.uuid4()),
            "client_id": client.client_id,
            "scope": auth["scope"],
        }
        if auth.get("approval_id"):
            self.approvals.remember_token(
                auth["user_name"], auth["approval_id"], claims["jti"], claims["exp"]
            )
        return {**claims, "value": self.signer.sign(claims)}

    def grant(self, client: Client, auth: Record) -> Record:
        """The token response for a successful grant (`DefaultTokenServices.createAccessToken`)."""
        refresh = None
        if self.shared and (existing := self.store.get(f"grant:{authentication_key(auth)}")):
            refresh = self._usable_refresh_token(existing)
            whole = refresh is not None or existing["refresh"] is None
            if whole and existing["exp"] > self.clock() and not self.is_revoked(existing["jti"]):
                return self.response(existing, refresh)
        access = self.access_token(client, auth)
        record = self.read_refresh_token(refresh) if refresh is not None else None
        if refresh is not None and record is not None:
            # The access token expired: the client may still hold the refresh token, so it stays.
            self.save_refresh_token(refresh, record, access)
        elif client.allows("refresh_token"):
            refresh = self.new_refresh_token(client, auth, access)
        else:
            refresh = None
        self.remember_grant(client, auth, access, refresh)
        return self.response(access, refresh)

    def response(self, access: Record, refresh: str | None) -> Record:
        """The token response, in `OAuth2AccessTokenJackson2Serializer`'s order:
        `access_token`, `token_type`, `refresh_token` (when there is one), `expires_in`
        (whole seconds left, truncated as Java's long division does), `scope` (space-joined),
        then the additional information (`jti`). With `--token-response document`, only the
        document's four keys: `access_token`, `token_type`, `refresh_token`, `jti`."""
        body: Record = {"access_token": access["value"], "token_type": "bearer"}
        if refresh is not None:
            body["refresh_token"] = refresh
        if not self.document_response:
            body["expires_in"] = int(access["exp"] - self.clock())
            if access.get("scope"):
                body["scope"] = " ".join(access["scope"])
        body["jti"] = access["jti"]
        return body

    def remember_grant(
        self, client: Client, auth: Record, access: Record, refresh: str | None
    ) -> None:
        """With the shared store, the tokens that the same user, client and scope get next."""
        if self.shared:
            record = {
                "value": access["value"],
                "jti": access["jti"],
                "exp": access["exp"],
                "scope": access["scope"],
            }
            ttl = max(self.access_validity(client), self.refresh_validity(client))
            self.store.put(f"grant:{authentication_key(auth)}", {**record, "refresh": refresh}, ttl)

    def _usable_refresh_token(self, grant: Record) -> str | None:
        """A shared grant's refresh token while it still works (not invalidated, not expired)."""
        record = self.read_refresh_token(grant["refresh"]) if grant["refresh"] else None
        return grant["refresh"] if record and not self.is_expired(record) else None

    def new_refresh_token(self, client: Client, auth: Record, access: Record) -> str:
        """Store a new refresh token (a UUID, as on the platform) for auth."""
        value = str(uuid.uuid4())
        record = {
            **auth,
            "expires_at": int(self.clock()) + self.refresh_validity(client),
            "generation": self.user_generation(auth["user_name"]),
        }
        self.save_refresh_token(value, record, access)
        return value

    def save_refresh_token(self, value: str, record: Record, access: Record) -> None:
        """Store a refresh token record, remembering the latest access token made from it."""
        record = {**record, "access_jti": access["jti"], "access_exp": access["exp"]}
        ttl = record["expires_at"] - self.clock() + EXPIRED_REFRESH_GRACE
        self.store.put(f"refresh:{value}", record, max(ttl, 1))

    def read_refresh_token(self, value: str) -> Record | None:
        """A refresh token's record; None when unknown, or invalidated since it was issued: by
        `users/me/expire`, or by a withdrawn approval (as `JwtTokenStore.readRefreshToken`
        checks the approval store)."""
        record = self.store.get(f"refresh:{value}")
        if record is None or record["generation"] != self.user_generation(record["user_name"]):
            return None
        approval_id = record.get("approval_id")
        if approval_id and not self.approvals.exists(record["user_name"], approval_id):
            return None
        return record

    def remove_refresh_token(self, value: str) -> bool:
        """Forget a refresh token; True when this call removed it."""
        return self.store.delete(f"refresh:{value}")

    def remove_access_token_using_refresh_token(self, record: Record) -> None:
        """The shared store's `removeAccessTokenUsingRefreshToken`: the last access token made
        from this refresh token stops working."""
        if self.shared:
            self.revoke_access_token(record["access_jti"], record["access_exp"])

    def is_expired(self, record: Record) -> bool:
        """Whether a refresh token record has passed its expiry."""
        return record["expires_at"] <= self.clock()

    def user_generation(self, username: str) -> int:
        """How many times the user ended all their sessions; refresh tokens remember it."""
        return self.store.counter(f"user-generation:{username}")

    def expire_user_tokens(self, username: str) -> None:
        """Every refresh token the user holds stops working at once (access tokens live on)."""
        self.store.incr(f"user-generation:{username}")

    def new_code(self, authorization: Record) -> str:
        """Store an authorization request under a fresh single-use 6-character code."""
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        self.store.put(f"code:{code}", authorization, CODE_VALIDITY)
        return code

    def consume_code(self, code: str) -> Record | None:
        """The authorization stored under code, which is spent by this call."""
        return self.store.take(f"code:{code}")

    def revoke_access_token(self, jti: str, exp: int) -> None:
        """Refuse the access token jti from now on (until it would have expired anyway)."""
        ttl = exp - self.clock()
        if ttl > 0:
            self.store.put(f"revoked:{jti}", {"exp": exp}, ttl)

    def is_revoked(self, jti: str) -> bool:
        """Whether the access token jti was revoked."""
        return self.store.get(f"revoked:{jti}") is not None

    def check_access_token(self, token: str) -> Record:
        """The claims of a valid, unexpired, unrevoked access token; raises InvalidToken."""
        claims = self.signer.verify(token)
        if claims is None or not isinstance(claims.get("exp"), int):
            raise InvalidToken("Token was not recognised")
        if claims["exp"] <= self.clock():
            raise InvalidToken("Token has expired", expired=True)
        if self.is_revoked(str(claims.get("jti"))):
            raise InvalidToken("Token was not recognised")
        return claims
