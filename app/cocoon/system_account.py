"""A token for a system account, kept fresh for a scheduled job (no Flask app needed).

The platform's document recommends the password grant for administrator and system-run
services. A job builds one SystemAccount and asks it for a token, or for a requests session,
whenever it calls the platform: the account signs in on first use, refreshes before the access
token's `exp`, and signs in again when the refresh token is refused (expired or revoked). The
token calls are AccessServiceClient's, the same ones the portal and the CLI make.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
from requests.auth import AuthBase

from app.cocoon.client import AccessServiceClient
from app.cocoon.errors import AccessServiceUnavailable, TokenRefused
from app.cocoon.refresh import refresh_due, tokens_due
from app.cocoon.tokens import TokenSet
from config import Settings

log = logging.getLogger(__name__)


@dataclass
class SystemAccount:
    """A system account's tokens, obtained with the password grant and renewed as needed.

    Safe to share between threads: one lock serialises renewals, so concurrent callers never
    spend the same refresh token twice (a rotating server would refuse the second use).
    """

    client: AccessServiceClient
    username: str
    password: str = field(repr=False)
    clock: Callable[[], float] = field(default=time.time, repr=False)
    max_leeway: float = 60.0
    _tokens: TokenSet | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        username: str,
        password: str,
        clock: Callable[[], float] = time.time,
    ) -> SystemAccount:
        """An account using the portal's configured client and refresh leeway."""
        client = AccessServiceClient.from_settings(settings, clock)
        return cls(client, username, password, clock=clock, max_leeway=settings.refresh_leeway)

    def access_token(self) -> str:
        """A valid access token: signs in, refreshes or signs in again as needed."""
        return self.tokens().access_token

    def tokens(self) -> TokenSet:
        """The current token set, renewed first when its access token is about to expire."""
        with self._lock:
            tokens, now = self._tokens, self.clock()
            if tokens is None:
                tokens = self._sign_in()
            elif tokens_due(tokens, now, self.max_leeway):
                tokens = self._refresh(tokens, now)
            elif not tokens.refresh_token and self._expiring(tokens, now):
                tokens = self._sign_in()  # nothing to refresh with: the password is our way back
            self._tokens = tokens
            return tokens

    def renew(self, rejected: str) -> str:
        """An access token to retry with after the platform refused `rejected` (401): a refresh
        now (or a new sign-in when the refresh token is refused), unless another thread has
        renewed it already. For UserApi (app/cocoon/api.py)."""
        with self._lock:
            tokens = self._tokens
            if tokens is None:
                tokens = self._sign_in()
            elif tokens.access_token == rejected:
                try:
                    tokens = self.client.refresh(tokens)
                except TokenRefused as exc:
                    log.info("refresh token refused (%s), signing in again", exc.error)
                    tokens = self._sign_in()
            self._tokens = tokens
            return tokens.access_token

    def session(self) -> requests.Session:
        """A requests session whose every request carries a fresh bearer token."""
        session = requests.Session()
        session.auth = BearerAuth(self)
        return session

    def sign_out(self) -> None:
        """Revoke the refresh token (where the platform offers it) and forget the tokens."""
        with self._lock:
            tokens, self._tokens = self._tokens, None
        if tokens and tokens.refresh_token:
            self.client.revoke(tokens.refresh_token)

    def _expiring(self, tokens: TokenSet, now: float) -> bool:
        # The refresh decision, as if the tokens could be refreshed.
        return refresh_due(
            expires_at=tokens.expires_at,
            obtained_at=tokens.obtained_at,
            refreshable=True,
            now=now,
            max_leeway=self.max_leeway,
        )

    def _sign_in(self) -> TokenSet:
        tokens = self.client.password_grant(self.username, self.password)
        log.info("service account signed in", extra={"event": "service_sign_in"})
        return tokens

    def _refresh(self, tokens: TokenSet, now: float) -> TokenSet:
        try:
            return self.client.refresh(tokens)
        except TokenRefused as exc:  # expired, revoked or rotated away: start over
            log.info("refresh token refused (%s), signing in again", exc.error)
            return self._sign_in()
        except AccessServiceUnavailable:
            if tokens.is_expired(now):
                raise
            # Refreshing early is a courtesy; a brief outage inside the leeway is not an error.
            log.warning("access-service unavailable; using the current token until it expires")
            return tokens


class BearerAuth(AuthBase):
    """requests auth that asks the account for a fresh access token on every request."""

    def __init__(self, account: SystemAccount) -> None:
        self.account = account

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.account.access_token()}"
        return request
