"""The token set the access-service returns, checked member by member, and when it expires.

The platform's token response carries `access_token` (an RS256 JWT), `token_type`,
`refresh_token` and `jti`, and no `expires_in`: the expiry comes from the JWT's `exp`.

Every member and claim the portal reads is untrusted input. The rule: a member that is absent
gets a documented fallback; a member that is present but of the wrong type, empty, negative,
absurdly long or otherwise unusable refuses the whole response (InvalidTokenResponse, naming
the member, never its value). One exception: an expiry beyond the year 9999 (Java's
`Long.MAX_VALUE`, a common "never expires") means "does not expire".
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError

from app.cocoon.errors import InvalidTokenResponse

# 9999-12-31T23:59:59Z in epoch seconds: the last moment time.gmtime and datetime can show.
MAX_EPOCH = 253_402_300_799.0
# A token that expired longer ago than this (seconds) when it arrived is refused (clock skew
# up to a minute is tolerated, as the signature check does).
EXPIRED_LEEWAY = 60.0
MAX_TOKEN_LENGTH = 16_384  # characters; the platform's access tokens are about 2,800
MAX_NAME_LENGTH = 320  # an email address is at most 254
MAX_AUTHORITY_LENGTH = 256
MAX_AUTHORITIES = 1_000
# RFC 6750 section 2.1 b64token: what may follow "Bearer " in a header.
B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
# RFC 6749 appendix A: a refresh token and a jti are VSCHARs, a scope token NQCHARs.
VSCHARS = re.compile(r"[\x20-\x7e]+")
NQCHARS = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
ASCII_DIGITS = re.compile(r"[0-9]{1,20}")


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


def _number(name: str, value: Any) -> float:
    """A finite JSON number (a digit string too, as some servers send); bool is not one."""
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    if isinstance(value, str) and ASCII_DIGITS.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidTokenResponse(f"{name} is not a number")
    if not math.isfinite(value):
        raise InvalidTokenResponse(f"{name} is not finite")
    return float(value)


def epoch_or_none(value: float | None) -> float | None:
    """An expiry in epoch seconds, or None ("does not expire") when beyond the year 9999."""
    if value is None or not math.isfinite(value) or value > MAX_EPOCH:
        return None
    return value


def _text(name: str, value: Any, max_length: int, pattern: re.Pattern[str] = VSCHARS) -> str:
    if not isinstance(value, str):
        raise InvalidTokenResponse(f"{name} is not a string")
    if not value or len(value) > max_length or not pattern.fullmatch(value):
        raise InvalidTokenResponse(f"{name} is empty, too long or holds characters not allowed")
    return value


def _names(name: str, value: Any) -> list[str]:
    """Spring sends scope as a JSON list in the JWT and space-joined in responses."""
    items = value.split() if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or len(items) > MAX_AUTHORITIES:
        raise InvalidTokenResponse(f"{name} is not a list of names")
    return [_text(name, item, MAX_AUTHORITY_LENGTH, NQCHARS) for item in items]


def _user_name(value: Any) -> str:
    name = _text("user_name", value, MAX_NAME_LENGTH, re.compile(r"[^\x00-\x1f\x7f]+"))
    if name.strip() != name:
        raise InvalidTokenResponse("user_name has surrounding white space")
    return name


def check_token_response(response: Any) -> Any:
    """authlib compliance hook for a token endpoint answer, run before authlib reads it: a
    successful answer must be a JSON object without an `error` member, whose
    `expires_in`/`expires_at` authlib can read. Returns response unchanged.

    Raises InvalidTokenResponse; an error answer (4xx, 5xx) raises requests.HTTPError, which
    app/cocoon/client.py's `translate_errors` sorts by its status first (authlib would sort it
    by its body's `error` alone, and Spring Boot's error body has one too).
    """
    if response.status_code >= 400:
        response.raise_for_status()
    try:
        body = response.json()
    except ValueError:
        raise InvalidTokenResponse("the token response is not JSON") from None
    if not isinstance(body, dict):
        raise InvalidTokenResponse("the token response is not a JSON object")
    if "error" in body:
        raise InvalidTokenResponse(f"HTTP {response.status_code} with an error body")
    for name in ("expires_in", "expires_at"):
        if body.get(name) is not None and _number(name, body[name]) < 0:
            raise InvalidTokenResponse(f"{name} is negative")
    return response


@dataclass(frozen=True)
class Claims:
    """What the portal reads from an access token's claims, checked (see the module doc)."""

    user_name: str | None
    authorities: list[str]
    scopes: list[str] | None  # None: the token names none (the response's scope applies)
    client_id: str | None
    exp: float | None

    @classmethod
    def check(cls, claims: Mapping[str, Any]) -> Claims:
        """Raises InvalidTokenResponse naming the first unusable claim."""
        user = claims.get("user_name", claims.get("sub"))
        exp = _number("exp", claims["exp"]) if claims.get("exp") is not None else None
        if exp is not None and exp <= 0:
            raise InvalidTokenResponse("exp is not a positive time")
        if claims.get("iat") is not None and _number("iat", claims["iat"]) < 0:
            raise InvalidTokenResponse("iat is negative")
        authorities = claims.get("authorities")
        scope = claims.get("scope")
        client_id = claims.get("client_id")
        return cls(
            user_name=_user_name(user) if user is not None else None,
            authorities=_names("authorities", authorities) if authorities is not None else [],
            scopes=_names("scope", scope) if scope is not None else None,
            client_id=_text("client_id", client_id, MAX_NAME_LENGTH) if client_id else None,
            exp=exp,
        )


@dataclass(frozen=True)
class AccountSummary:
    """What pages show and the refresh decision needs, with no token in it: read from the
    sealed tokens once per worker (app/cocoon/summaries.py), so a signed-in page opens no seal
    (nor sorts the authorities again). Times are epoch seconds."""

    user_name: str | None
    client_id: str | None
    roles: list[str]
    permissions: list[str]
    scopes: list[str]
    expires_at: float | None
    obtained_at: float
    refreshable: bool


@dataclass(frozen=True)
class TokenSet:
    """An access token with its refresh token and the times that govern its renewal.

    Times are epoch seconds; `expires_at` is None when the token does not say (or says it
    never expires).
    """

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    token_type: str = "bearer"
    obtained_at: float = 0.0
    expires_at: float | None = None
    jti: str | None = None
    scope: str | None = None

    @classmethod
    def from_response(
        cls,
        response: Mapping[str, Any],
        now: float,
        previous_refresh_token: str | None = None,
        client_id: str | None = None,
    ) -> TokenSet:
        """Build from a token endpoint response (RFC 6749 section 5.1) received at `now`.

        `expires_in` is honoured when a server sends it (a real Spring Security OAuth2 2.4.0
        always does, in whole seconds rounded down, so the set may be dated up to a second
        before the JWT's `exp`); otherwise the JWT's `exp` dates the token (the document's
        abridged example has no `expires_in`). The response's `scope` is kept only when it
        differs from the token's own `scope` claim (Spring repeats it: kept once, sessions
        stay small).
        A refresh response without a refresh token keeps `previous_refresh_token`. When
        `client_id` is given, a token issued to another client is refused.
        Raises InvalidTokenResponse naming the first unusable member.
        """
        if not isinstance(response, Mapping):
            raise InvalidTokenResponse("the token response is not a JSON object")
        access_token = _text(
            "access_token", response.get("access_token"), MAX_TOKEN_LENGTH, B64TOKEN
        )
        token_type = response.get("token_type")
        # RFC 6750's bearer is the only type the portal can use; absent, it is assumed.
        if token_type is not None and _text("token_type", token_type, 64).lower() != "bearer":
            raise InvalidTokenResponse("token_type is not bearer")
        refresh_token = response.get("refresh_token")
        if refresh_token is not None and refresh_token != "":
            refresh_token = _text("refresh_token", refresh_token, MAX_TOKEN_LENGTH)
        claims = Claims.check(unverified_claims(access_token))
        if client_id is not None and claims.client_id not in (None, client_id):
            raise InvalidTokenResponse("client_id names another client")
        expires_at = claims.exp
        if response.get("expires_in") is not None:
            expires_in = _number("expires_in", response["expires_in"])
            # Spring's `DefaultOAuth2AccessToken.getExpiresIn` truncates to whole seconds, so a
            # token within its last second (a store-backed token store hands out the stored
            # one) says 0: due now, not unusable.
            if expires_in < 0:
                raise InvalidTokenResponse("expires_in is a negative number of seconds")
            expires_at = now + expires_in
        if expires_at is not None and expires_at < now - EXPIRED_LEEWAY:
            raise InvalidTokenResponse("the access token had expired when it arrived")
        scope = response.get("scope")
        scope = " ".join(_names("scope", scope)) if scope is not None else None
        if scope is not None and claims.scopes is not None:
            if sorted(scope.split()) == sorted(claims.scopes):
                scope = None  # the token says the same; `scopes` reads it from there
        jti = response.get("jti")
        return cls(
            access_token=access_token,
            refresh_token=refresh_token or previous_refresh_token,
            token_type="bearer",
            obtained_at=now,
            expires_at=epoch_or_none(expires_at),
            jti=_text("jti", jti, MAX_AUTHORITY_LENGTH) if jti is not None else None,
            scope=scope,
        )

    @cached_property
    def claims(self) -> Claims:
        """The access token's claims, unverified and checked (empty when it is not a JWT).

        Raises InvalidTokenResponse only for a set stored by a release that did not check.
        """
        return Claims.check(unverified_claims(self.access_token))

    @property
    def user_name(self) -> str | None:
        return self.claims.user_name

    @property
    def authorities(self) -> list[str]:
        return self.claims.authorities

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
        if self.claims.scopes is not None:
            return self.claims.scopes
        return self.scope.split() if self.scope else []

    @property
    def lifetime(self) -> float | None:
        """Seconds between receiving the token and its expiry, when known."""
        if self.expires_at is None:
            return None
        return max(0.0, self.expires_at - self.obtained_at)

    def is_expired(self, now: float) -> bool:
        """True once the access token's expiry (epoch seconds) has passed; never, when unknown."""
        return self.expires_at is not None and now >= self.expires_at

    def summary(self) -> dict[str, Any]:
        """The AccountSummary of this set as a plain dict."""
        summary = AccountSummary(
            user_name=self.user_name,
            client_id=self.claims.client_id,
            roles=sorted(self.roles),
            permissions=sorted(self.permissions),
            scopes=sorted(self.scopes),
            expires_at=self.expires_at,
            obtained_at=self.obtained_at,
            refreshable=bool(self.refresh_token),
        )
        return asdict(summary)

    def to_dict(self) -> dict[str, Any]:
        """A plain dict for storage (sealed, see sealing.py)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TokenSet:
        """The inverse of to_dict; an expiry stored by an older release is bounded again."""
        names = cls.__dataclass_fields__
        values = {key: value for key, value in data.items() if key in names}
        expires_at = values.get("expires_at")
        values["expires_at"] = epoch_or_none(
            float(expires_at) if isinstance(expires_at, int | float) else None
        )
        return cls(**values)
