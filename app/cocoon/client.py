"""Talking to the access-service's token and revocation endpoints (no Flask here).

One implementation of the token calls for the portal, the CLI and scheduled jobs: authlib's
requests client with HTTP Basic client authentication and a form-urlencoded body, as the
platform's document requires, and bounded timeouts so a hung server cannot hang a worker.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session

from app.cocoon.tokens import TokenSet

log = logging.getLogger(__name__)


class AccessServiceError(Exception):
    """Base of the errors a token call can end in."""


class TokenRefused(AccessServiceError):
    """The access-service answered with an OAuth error (e.g. invalid_grant)."""

    def __init__(self, error: str, description: str | None = None, status: int | None = None):
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description
        self.status = status


class AccessServiceUnavailable(AccessServiceError):
    """The access-service could not be reached, timed out, or answered with garbage."""


@contextmanager
def translate_errors() -> Iterator[None]:
    """Map authlib and requests failures onto TokenRefused / AccessServiceUnavailable."""
    try:
        yield
    except AuthlibBaseError as exc:  # an OAuth error body: the server said no
        raise TokenRefused(exc.error or "error", exc.description) from None
    except requests.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status is not None and 400 <= status < 500:
            raise TokenRefused("http_error", f"HTTP {status}", status) from None
        raise AccessServiceUnavailable(f"access-service answered HTTP {status}") from None
    except requests.Timeout:
        raise AccessServiceUnavailable("access-service timed out") from None
    except (requests.RequestException, ValueError) as exc:
        raise AccessServiceUnavailable(
            f"access-service unreachable ({type(exc).__name__})"
        ) from None


@dataclass
class AccessServiceClient:
    """The token endpoint calls a confidential client makes, with its client credentials."""

    client_id: str
    client_secret: str
    token_endpoint: str
    revocation_endpoint: str | None = None
    connect_timeout: float = 3.05
    read_timeout: float = 10.0
    clock: Callable[[], float] = time.time
    scope: str | None = None

    def __repr__(self) -> str:  # never show the secret
        return f"AccessServiceClient(client_id={self.client_id!r}, {self.token_endpoint!r})"

    @property
    def max_call_seconds(self) -> float:
        """The longest one call can take: what a refresh lock must outlive."""
        return self.connect_timeout + self.read_timeout

    def oauth_session(self) -> OAuth2Session:
        """An authlib session with client_secret_basic auth and the timeouts."""
        return OAuth2Session(
            self.client_id,
            self.client_secret,
            token_endpoint_auth_method="client_secret_basic",
            revocation_endpoint_auth_method="client_secret_basic",
            default_timeout=(self.connect_timeout, self.read_timeout),
        )

    def _token_call(self, previous_refresh_token: str | None = None, **params: Any) -> TokenSet:
        with translate_errors(), self.oauth_session() as session:
            response = session.fetch_token(self.token_endpoint, **params)
        return self.token_set(response, previous_refresh_token)

    def token_set(
        self, response: Mapping[str, Any], previous_refresh_token: str | None = None
    ) -> TokenSet:
        """A TokenSet from a token response, dated by this client's clock."""
        try:
            return TokenSet.from_response(response, self.clock(), previous_refresh_token)
        except ValueError as exc:
            raise AccessServiceUnavailable(str(exc)) from None

    def exchange_code(
        self, code: str, redirect_uri: str, code_verifier: str | None = None
    ) -> TokenSet:
        """Swap an authorization code for tokens (grant_type=authorization_code)."""
        extra = {"code_verifier": code_verifier} if code_verifier else {}
        return self._token_call(
            grant_type="authorization_code", code=code, redirect_uri=redirect_uri, **extra
        )

    def password_grant(self, username: str, password: str) -> TokenSet:
        """Tokens for a user's own credentials: for system-run services only."""
        extra = {"scope": self.scope} if self.scope else {}
        return self._token_call(
            grant_type="password", username=username, password=password, **extra
        )

    def refresh(self, tokens: TokenSet) -> TokenSet:
        """New tokens for tokens.refresh_token; keeps it when the server sends none back."""
        if not tokens.refresh_token:
            raise TokenRefused("invalid_request", "no refresh token to use")
        with translate_errors(), self.oauth_session() as session:
            response = session.refresh_token(
                self.token_endpoint, refresh_token=tokens.refresh_token
            )
        return self.token_set(response, previous_refresh_token=tokens.refresh_token)

    def revoke(self, token: str, token_type_hint: str = "refresh_token") -> bool:
        """Revoke a token (RFC 7009) when an endpoint is configured; True when it worked."""
        if not self.revocation_endpoint:
            return False
        try:
            with translate_errors(), self.oauth_session() as session:
                response = session.revoke_token(
                    self.revocation_endpoint, token=token, token_type_hint=token_type_hint
                )
                response.raise_for_status()
        except AccessServiceError as exc:
            log.warning("token revocation failed: %s", exc)
            return False
        return True
