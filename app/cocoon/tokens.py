"""The token set the access-service returns, and when it expires.

The platform's token response carries `access_token` (an RS256 JWT), `token_type`,
`refresh_token` and `jti`, and no `expires_in`: the expiry comes from the JWT's `exp`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError

# Bumped whenever summary() changes shape: a session holding an older summary gets a new one
# (see app/auth/session_tokens.py), so a new release never reads a field an old one did not write.
SUMMARY_VERSION = 2


def unverified_claims(access_token: str) -> dict[str, Any]:
    """The JWT payload of access_token, or {} when it is not a JWT.

    Only for display and expiry: the signature is checked separately (see keys.py) when the
    portal is configured with the access-service's key.
    """
    if access_token.count(".") != 2:
        return {}
    try:
        payload = json.loads(jws.extract_compact(access_token.encode()).payload)
    except (JoseError, ValueError, UnicodeError):
        return {}
    return payload if isinstance(payload, dict) else {}


def _as_list(value: Any) -> list[str]:
    """Spring sends scope as a JSON list in the JWT and space-joined in responses."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return []


@dataclass(frozen=True)
class TokenSet:
    """An access token with its refresh token and the times that govern its renewal."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    token_type: str = "bearer"
    obtained_at: float = 0.0
    expires_at: float | None = None
    jti: str | None = None
    scope: str | None = None

    @classmethod
    def from_response(
        cls, response: Mapping[str, Any], now: float, previous_refresh_token: str | None = None
    ) -> TokenSet:
        """Build from a token endpoint response received at `now`.

        `expires_in` is honoured when a server sends it (stock Spring, other servers);
        otherwise the JWT's `exp` dates the token (the platform sends no `expires_in`).
        A refresh response without a refresh token keeps `previous_refresh_token`.
        """
        access_token = response.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise ValueError("token response has no access_token")
        claims = unverified_claims(access_token)
        expires_at: float | None = None
        expires_in = response.get("expires_in")
        if isinstance(expires_in, int | float | str) and str(expires_in).isdigit():
            expires_at = now + int(expires_in)
        elif isinstance(claims.get("exp"), int | float):
            expires_at = float(claims["exp"])
        scope = response.get("scope")
        return cls(
            access_token=access_token,
            refresh_token=response.get("refresh_token") or previous_refresh_token,
            token_type=str(response.get("token_type") or "bearer"),
            obtained_at=now,
            expires_at=expires_at,
            jti=response.get("jti") or claims.get("jti"),
            scope=" ".join(_as_list(scope)) if scope else None,
        )

    @cached_property
    def claims(self) -> dict[str, Any]:
        """The access token's claims, unverified ({} when it is not a JWT)."""
        return unverified_claims(self.access_token)

    @property
    def user_name(self) -> str | None:
        name = self.claims.get("user_name") or self.claims.get("sub")
        return str(name) if name else None

    @property
    def authorities(self) -> list[str]:
        return _as_list(self.claims.get("authorities"))

    @property
    def roles(self) -> list[str]:
        """Spring's convention: authorities named ROLE_* are roles..."""
        return [name for name in self.authorities if name.startswith("ROLE_")]

    @property
    def permissions(self) -> list[str]:
        """...and the others (PERM_*) permissions."""
        return [name for name in self.authorities if not name.startswith("ROLE_")]

    @property
    def scopes(self) -> list[str]:
        return _as_list(self.claims.get("scope")) or _as_list(self.scope)

    @property
    def lifetime(self) -> float | None:
        """Seconds between receiving the token and its expiry, when known."""
        if self.expires_at is None:
            return None
        return max(0.0, self.expires_at - self.obtained_at)

    def is_expired(self, now: float) -> bool:
        """True once the access token's expiry has passed (never, when it is unknown)."""
        return self.expires_at is not None and now >= self.expires_at

    def summary(self) -> dict[str, Any]:
        """What pages show and the refresh decision needs, with no token in it: kept in the
        session beside the sealed tokens, so a signed-in page opens no seal (nor sorts the
        authorities again)."""
        return {
            "version": SUMMARY_VERSION,
            "user_name": self.user_name,
            "client_id": self.claims.get("client_id"),
            "roles": self.roles,
            "permissions": self.permissions,
            "scopes": self.scopes,
            "expires_at": self.expires_at,
            "obtained_at": self.obtained_at,
            "refreshable": bool(self.refresh_token),
        }

    def to_dict(self) -> dict[str, Any]:
        """A plain dict for storage (encrypted, see store.py)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TokenSet:
        """The inverse of to_dict."""
        names = cls.__dataclass_fields__
        return cls(**{key: value for key, value in data.items() if key in names})
