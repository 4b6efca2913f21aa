"""Talking to the access-service's authorize, token and revocation endpoints (no Flask here).

One implementation of the OAuth calls for the portal, the CLI and scheduled jobs: authlib's
requests client with HTTP Basic client authentication and a form-urlencoded body, as the
platform's document requires, and bounded timeouts so a hung server cannot hang a worker.
Every failure is sorted into one of the errors of app/cocoon/errors.py.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session

from app.cocoon.errors import (
    AccessServiceError,
    AccessServiceUnavailable,
    TokenRefused,
    token_endpoint_failure,
)
from app.cocoon.tokens import TokenSet, check_token_response
from config import Settings

log = logging.getLogger(__name__)

# Our name for HTTP Basic client authentication with UTF-8 credentials (see basic_auth_utf8).
CLIENT_SECRET_BASIC_UTF8 = "client_secret_basic_utf8"


def basic_auth_utf8(client: Any, method: str, uri: str, headers: dict, body: str) -> tuple:
    """authlib client-auth method: `Authorization: Basic base64(client_id:client_secret)` with
    the credentials encoded as UTF-8 (RFC 7617 section 2.1), as Spring's Basic filter decodes
    them. authlib's own `client_secret_basic` encodes latin-1, which fails on `€` and sends
    `é` as a byte the platform reads differently."""
    credentials = f"{client.client_id}:{client.client_secret}".encode()
    headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode("ascii")
    return uri, headers, body


@contextmanager
def translate_errors(*sent: str) -> Iterator[None]:
    """Sort the failures of a call to the token or revocation endpoint into the errors of
    app/cocoon/errors.py, with the secrets `sent` (code, refresh token, password) redacted
    from the server's description. An error status arrives as requests.HTTPError (the token
    calls' compliance hook, `check_token_response`, and `revoke` raise it before authlib reads
    the body) and is sorted by `token_endpoint_failure`: by its HTTP meaning, then its body.

    Raises TokenRefused, ClientConfigurationError, InvalidTokenResponse or
    AccessServiceUnavailable. Anything else (a local bug) propagates unchanged.
    """
    try:
        yield
    except requests.HTTPError as exc:
        answer = exc.response
        if answer is None:
            raise AccessServiceUnavailable("access-service answered an HTTP error") from None
        challenge = answer.headers.get("WWW-Authenticate")
        raise token_endpoint_failure(answer.status_code, answer.content, challenge, sent) from None
    except requests.Timeout:
        raise AccessServiceUnavailable("access-service timed out") from None
    except requests.RequestException as exc:
        raise AccessServiceUnavailable(
            f"access-service unreachable ({type(exc).__name__})"
        ) from None


@dataclass
class AccessServiceClient:
    """The OAuth calls a confidential client makes, with its client credentials.

    `authorization_endpoint` is where browsers go; `token_endpoint` and `revocation_endpoint`
    are called by the portal itself (they may use a private name, COCOON_BACKCHANNEL_URL).
    Timeouts are in seconds; `clock` returns epoch seconds.
    """

    client_id: str
    client_secret: str
    token_endpoint: str
    connect_timeout: float
    read_timeout: float
    authorization_endpoint: str = ""
    revocation_endpoint: str | None = None
    clock: Callable[[], float] = time.time
    scope: str | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, clock: Callable[[], float] = time.time
    ) -> AccessServiceClient:
        """The client the portal's settings describe (credentials, URLs, timeouts)."""
        return cls(
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            token_endpoint=settings.token_endpoint,
            connect_timeout=settings.http_connect_timeout,
            read_timeout=settings.http_read_timeout,
            authorization_endpoint=settings.authorize_url,
            revocation_endpoint=settings.revocation_url,
            clock=clock,
            scope=settings.scope,
        )

    def __repr__(self) -> str:  # never show the secret
        return f"AccessServiceClient(client_id={self.client_id!r}, {self.token_endpoint!r})"

    @property
    def max_call_seconds(self) -> float:
        """The longest one call can take, in seconds: what a refresh lock must outlive."""
        return self.connect_timeout + self.read_timeout

    def oauth_session(self) -> OAuth2Session:
        """An authlib session: UTF-8 Basic client auth, the timeouts, and every successful
        token response checked before authlib reads it (absurd members never reach it)."""
        session = OAuth2Session(
            self.client_id,
            self.client_secret,
            token_endpoint_auth_method=CLIENT_SECRET_BASIC_UTF8,
            revocation_endpoint_auth_method=CLIENT_SECRET_BASIC_UTF8,
            code_challenge_method="S256",
            default_timeout=(self.connect_timeout, self.read_timeout),
        )
        session.register_client_auth_method((CLIENT_SECRET_BASIC_UTF8, basic_auth_utf8))
        session.register_compliance_hook("access_token_response", check_token_response)
        session.register_compliance_hook("refresh_token_response", check_token_response)
        return session

    def authorization_url(self, redirect_uri: str, state: str, code_verifier: str) -> str:
        """The URL that starts a sign-in (RFC 6749 section 4.1.1, PKCE S256 per RFC 7636):
        `response_type=code`, `client_id`, `redirect_uri`, `state`, `code_challenge`, and
        `scope` only when COCOON_SCOPE is set (the platform's document sends none)."""
        extra = {"scope": self.scope} if self.scope else {}
        with self.oauth_session() as session:
            url, _ = session.create_authorization_url(
                self.authorization_endpoint,
                state=state,
                code_verifier=code_verifier,
                redirect_uri=redirect_uri,
                **extra,
            )
        return url

    def _token_call(self, *secrets: str, **params: Any) -> TokenSet:
        with translate_errors(self.client_secret, *secrets), self.oauth_session() as session:
            response = session.fetch_token(self.token_endpoint, **params)
        return self.token_set(response)

    def token_set(
        self, response: dict[str, Any], previous_refresh_token: str | None = None
    ) -> TokenSet:
        """A TokenSet from a token response, dated by this client's clock.

        Raises InvalidTokenResponse when a member is unusable (see TokenSet.from_response).
        """
        return TokenSet.from_response(
            response, self.clock(), previous_refresh_token, client_id=self.client_id
        )

    def exchange_code(
        self, code: str, redirect_uri: str, code_verifier: str | None = None
    ) -> TokenSet:
        """Swap an authorization code for tokens (RFC 6749 section 4.1.3).

        Raises any error of app/cocoon/errors.py.
        """
        extra = {"code_verifier": code_verifier} if code_verifier else {}
        return self._token_call(
            code,
            grant_type="authorization_code",
            code=code,
            redirect_uri=redirect_uri,
            **extra,
        )

    def password_grant(self, username: str, password: str) -> TokenSet:
        """Tokens for a user's own credentials (RFC 6749 section 4.3): for system-run services.

        Raises any error of app/cocoon/errors.py.
        """
        extra = {"scope": self.scope} if self.scope else {}
        return self._token_call(
            password, grant_type="password", username=username, password=password, **extra
        )

    def refresh(self, tokens: TokenSet) -> TokenSet:
        """New tokens for tokens.refresh_token (RFC 6749 section 6); keeps the refresh token
        when the server sends none back. Raises any error of app/cocoon/errors.py."""
        if not tokens.refresh_token:
            raise TokenRefused("invalid_request", "no refresh token to use")
        with (
            translate_errors(self.client_secret, tokens.refresh_token),
            self.oauth_session() as session,
        ):
            response = session.refresh_token(
                self.token_endpoint, refresh_token=tokens.refresh_token
            )
        return self.token_set(response, previous_refresh_token=tokens.refresh_token)

    def revoke(self, token: str, token_type_hint: str = "refresh_token") -> bool:
        """Revoke a token (RFC 7009) when an endpoint is configured; True when it worked.

        Never raises for the access-service's answer: a sign-out must not fail because of it.
        """
        if not self.revocation_endpoint:
            return False
        try:
            with translate_errors(self.client_secret, token), self.oauth_session() as session:
                response = session.revoke_token(
                    self.revocation_endpoint, token=token, token_type_hint=token_type_hint
                )
                response.raise_for_status()
        except AccessServiceError as exc:
            log.warning("token revocation failed (%s): %s", type(exc).__name__, exc)
            return False
        return True
