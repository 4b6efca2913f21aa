"""Verifying access tokens with the access-service's key (Spring's token_key, or a JWKS).

The key is cached; when a token fails to verify, the key is fetched again (the server may have
rotated it), but at most once a minute so a stream of forged tokens cannot make the portal
hammer the access-service.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from joserfc.jwt import JWTClaimsRegistry
from requests.auth import HTTPBasicAuth

from app.cocoon.errors import AccessServiceUnavailable, ClientConfigurationError

log = logging.getLogger(__name__)

ALGORITHMS = ["RS256"]
# exp (and nbf/iat when present) must hold, with a minute's leeway for clock skew.
CLAIMS = JWTClaimsRegistry(leeway=60)


class TokenVerificationError(Exception):
    """The access token's signature or claims did not verify."""


def parse_key_response(body: dict, jwks: bool) -> KeySet:
    """A KeySet from a JWKS document or from Spring's {"alg", "value": PEM} token_key.

    Raises TokenVerificationError when the response holds no key, and joserfc's JoseError or
    ValueError when a key in it is malformed."""
    if jwks:
        keys = body.get("keys")
        if not isinstance(keys, list):
            raise TokenVerificationError("JWKS response holds no keys")
        return KeySet.import_key_set({"keys": keys})
    pem = body.get("value")
    if not isinstance(pem, str) or "PUBLIC KEY" not in pem:
        raise TokenVerificationError("token_key response holds no public key")
    return KeySet([RSAKey.import_key(pem)])


@dataclass
class TokenVerifier:
    """Checks RS256 signatures against a cached key from `url`.

    `client_credentials` (client id, secret), when given, are sent as HTTP Basic (UTF-8) with
    the key request: Spring's token_key endpoint is `denyAll()` by default and many platforms
    open it to authenticated clients only (COCOON_TOKEN_KEY_AUTH=basic).
    """

    url: str
    timeout: tuple[float, float]  # (connect, read) seconds, from the portal's settings
    jwks: bool = False
    client_credentials: tuple[str, str] | None = field(default=None, repr=False)
    http: requests.Session = field(default_factory=requests.Session)
    refetch_interval: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _keys: KeySet | None = field(default=None, init=False, repr=False)
    _fetched_at: float = field(default=float("-inf"), init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def _fetch(self) -> KeySet:
        auth = None
        if self.client_credentials:  # bytes: requests would encode str as latin-1
            client_id, secret = self.client_credentials
            auth = HTTPBasicAuth(client_id.encode(), secret.encode())
        try:
            response = self.http.get(self.url, timeout=self.timeout, auth=auth)
            if response.status_code in (401, 403):
                raise ClientConfigurationError(
                    "token_key_refused",
                    f"HTTP {response.status_code} from the token key endpoint "
                    "(does it need COCOON_TOKEN_KEY_AUTH=basic?)",
                    response.status_code,
                )
            response.raise_for_status()
            keys = parse_key_response(response.json(), self.jwks)
        except (requests.RequestException, ValueError, JoseError) as exc:
            raise AccessServiceUnavailable(f"cannot fetch the token key: {exc}") from None
        self._keys, self._fetched_at = keys, self.clock()
        return keys

    def _current_keys(self, after_failure: bool) -> KeySet | None:
        """The cached keys; fetched again after a failure when the last fetch is old enough."""
        with self._lock:
            stale = self.clock() - self._fetched_at >= self.refetch_interval
            if self._keys is None or (after_failure and stale):
                return self._fetch()
            return None if after_failure else self._keys

    def verify(self, access_token: str) -> dict:
        """The verified claims of access_token (RS256 signature, then `exp`, `nbf` and `iat`
        with a minute's leeway).

        Raises TokenVerificationError when it does not verify, AccessServiceUnavailable when
        the key cannot be fetched, ClientConfigurationError when the key endpoint refuses
        this portal (401/403).
        """
        keys = self._current_keys(after_failure=False)
        error: Exception | None = None
        for attempt in (1, 2):
            # Spring's tokens carry no `kid`, so try each key of the set.
            for key in keys.keys if keys else ():
                try:
                    token = jwt.decode(access_token, key, algorithms=ALGORITHMS)
                    CLAIMS.validate(token.claims)
                    return dict(token.claims)
                except (JoseError, ValueError) as exc:
                    error = exc
            if attempt == 1:
                keys = self._current_keys(after_failure=True)
                if keys is None:  # fetched less than a minute ago: do not hammer the server
                    break
        raise TokenVerificationError(f"access token failed verification: {error}")
