"""What a call to the access-service can end in, sorted by whose problem it is.

| error                      | whose problem        | what the user sees                          |
|----------------------------|----------------------|---------------------------------------------|
| TokenRefused               | the user's grant     | signed out, sent through sign-in again      |
| ClientConfigurationError   | the operator's       | 502 "cannot reach its sign-in service with  |
|                            |                      | its current settings" (logged as ERROR)     |
| InvalidTokenResponse       | the access-service's | 502 "returned a token this portal cannot    |
|                            |                      | use" (logged with what was wrong)           |
| AccessServiceUnavailable   | nobody's, for now    | 503 "try again in a moment"                 |

The platform's user API (app/cocoon/api.py) ends in a PlatformError instead (pages:
app/web/platform_errors.py): SessionOver (signed out, through sign-in back to the page),
NotPermitted (403), NotFound (404), Rejected (400, shown beside its form field),
PlatformUnavailable (503) or UnusableAnswer (502).

A local fault (a bug, a bad setting) is none of these: it surfaces as itself and is never
reported as an outage.
"""

from __future__ import annotations

import json
import re


class AccessServiceError(Exception):
    """Base of the errors a call to the access-service can end in."""


class OAuthErrorResponse(AccessServiceError):
    """An OAuth error answer (RFC 6749 section 5.2): `error`, its `description` (with what
    the portal sent redacted) and the HTTP `status` when known."""

    def __init__(self, error: str, description: str | None = None, status: int | None = None):
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description
        self.status = status


class TokenRefused(OAuthErrorResponse):
    """The access-service refused the user's grant (RFC 6749 section 5.2: `invalid_grant`,
    `invalid_request`, an expired refresh token's `invalid_token`...): sign in again."""


class ClientConfigurationError(OAuthErrorResponse):
    """The access-service refused this portal itself: its client credentials (any 401 but
    the user grant's, see token_endpoint_failure), a grant type it is not registered for
    (`unauthorized_client`), or an endpoint URL that is not the access-service's. Only the
    operator can fix it; signing users out would not help. `hint` names the settings to check
    and ends the message (log lines and the CLI show it)."""

    def __init__(
        self,
        error: str,
        description: str | None = None,
        status: int | None = None,
        hint: str | None = None,
    ):
        super().__init__(error, description, status)
        self.hint = hint
        if hint:
            self.args = (f"{self.args[0]} ({hint})",)


class InvalidTokenResponse(AccessServiceError):
    """A successful answer from the token endpoint that the portal cannot use: not a JSON
    object, or a member that is missing, of the wrong type, or absurd (RFC 6749 section 5.1).
    The message names the member, never its value (it may be a secret)."""


class AccessServiceUnavailable(AccessServiceError):
    """The access-service could not be reached, timed out, or answered with a server error."""


# OAuth error codes that mean the client, not the user, was refused (RFC 6749 section 5.2);
# `unauthorized` is also what a Spring configured with `OAuth2AuthenticationEntryPoint` answers
# to bad Basic client credentials (with a `Basic` challenge).
CLIENT_ERRORS = frozenset(
    {"invalid_client", "unauthorized_client", "unsupported_grant_type", "unauthorized"}
)
# The only 401s of Spring Security OAuth2 2.4.0's token endpoint that are about the user's
# grant, not the client: a refresh token that expired (`DefaultTokenServices`:
# `invalid_token` "Invalid refresh token (expired): ..."), and a user who can no longer be loaded
# at a refresh (`unauthorized`, with the endpoint's `Bearer` challenge, not the filter's `Basic`:
# token_endpoint_failure tells it apart by that challenge).
USER_GRANT_401_ERRORS = frozenset({"invalid_token", "invalid_grant"})
# Statuses that, whatever the body, mean this portal's URL or method is wrong (a proxy's own
# authentication, or a URL that is not the token endpoint).
MISCONFIGURED_STATUSES = frozenset({403, 404, 405})
CREDENTIALS_HINT = "check COCOON_CLIENT_ID and COCOON_CLIENT_SECRET"
GRANT_HINT = "check COCOON_CLIENT_ID, COCOON_CLIENT_SECRET and the client's grant types"
URL_HINT = "check COCOON_ACCESS_SERVICE_URL and COCOON_BACKCHANNEL_URL"
# RFC 6749 section 5.2: `error` is one or more of %x20-21 / %x23-5B / %x5D-7E.
_ERROR_CODE = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]+")


def redact(text: str | None, secrets: tuple[str, ...]) -> str | None:
    """text with every one of secrets replaced: Spring's descriptions repeat what was sent
    ("Invalid refresh token: <the token>"), and they end up in logs and the CLI's output."""
    if text is None:
        return None
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


def oauth_error_body(body: bytes) -> tuple[str, str | None] | None:
    """`(error, error_description)` of an RFC 6749 section 5.2 error body, else None.

    That is a JSON object whose `error` is a string of the RFC's characters and which has no
    `status` member: Spring Boot's error body (`DefaultErrorAttributes`:
    `{"timestamp", "status", "error": "Unauthorized", "path"}`) also has an `error`, but it is an
    HTTP reason phrase, not an OAuth error code. A description that is not a string is None.
    """
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):  # not JSON (or not UTF-8), or nested past any use
        return None
    if not isinstance(parsed, dict) or "status" in parsed:
        return None
    error = parsed.get("error")
    if not isinstance(error, str) or not _ERROR_CODE.fullmatch(error):
        return None
    description = parsed.get("error_description")
    return error, description if isinstance(description, str) else None


def token_endpoint_failure(
    status: int, body: bytes, challenge: str | None = None, sent: tuple[str, ...] = ()
) -> AccessServiceError:
    """What an error answer (`status` 400 to 599) of the token or revocation endpoint means,
    sorted by its HTTP meaning first and only then by its body (RFC 6749 section 5.2,
    RFC 9110 section 15), with the secrets `sent` redacted from the description:

    1. 5xx or 429, any body: AccessServiceUnavailable.
    2. 401: the client's credentials (ClientConfigurationError), whatever the body is (OAuth
       JSON, Spring Boot's JSON, HTML, empty, not JSON); except the user grant's own 401s,
       an OAuth `invalid_token` or `invalid_grant`, or `unauthorized` under a `Bearer`
       challenge: TokenRefused.
    3. 403, 404, 405, any body: ClientConfigurationError (the endpoint's URL).
    4. Any other 4xx with an OAuth error body: ClientConfigurationError for a client code
       (`CLIENT_ERRORS`), else TokenRefused; without one: InvalidTokenResponse (the
       platform's answer is not of the expected shape).

    `challenge` is the answer's `WWW-Authenticate`. A 401 is what Spring Security's
    `BasicAuthenticationEntryPoint` answers to wrong, missing or malformed client credentials,
    with Spring Boot's error body, never an OAuth one.
    """
    if status >= 500 or status == 429:
        return AccessServiceUnavailable(f"access-service answered HTTP {status}")
    parsed = oauth_error_body(body)
    error, description = parsed if parsed else (None, None)
    description = redact(description, sent)
    if status == 401:
        bearer = (challenge or "").lower().startswith("bearer")
        if error in USER_GRANT_401_ERRORS or (error == "unauthorized" and bearer):
            return TokenRefused(error, description, status)
        if error is None:  # Spring Security's entry point: the credentials themselves
            return ClientConfigurationError(
                "http_401", "the client's credentials were refused", status, CREDENTIALS_HINT
            )
        return ClientConfigurationError(error, description, status, GRANT_HINT)
    if status in MISCONFIGURED_STATUSES:
        return ClientConfigurationError(
            error or "http_error", description or f"HTTP {status}", status, hint=URL_HINT
        )
    if error is None:
        return InvalidTokenResponse(f"HTTP {status} without an OAuth error body")
    if error in CLIENT_ERRORS:
        return ClientConfigurationError(error, description, status, hint=GRANT_HINT)
    return TokenRefused(error, description, status)


class PlatformError(Exception):
    """Base of the errors a call to the platform's user API (`/api/v1`) can end in
    (app/cocoon/api.py). Messages never hold a token or a response body."""


class SessionOver(PlatformError):
    """The user's session with the platform is over: the access token was refused twice
    (401 `invalid_token`), or the refresh that should have renewed it was refused. Nothing
    was changed; the user signs in again (RFC 6750 section 3.1)."""


class NotPermitted(PlatformError):
    """403 `access_denied`: the token is valid, but the user's account lacks the authority."""


class NotFound(PlatformError):
    """404: the resource (e.g. an approval id) does not exist, or is not the user's."""


class NotASegment(NotFound):
    """A value that cannot be one path segment of a platform URL (`.`, `..`, their
    percent-encoded forms, empty, a slash, a control character): it names no resource, and
    no call was made (app/cocoon/api_http.py, path_segment)."""


class Rejected(PlatformError):
    """400: the platform refused the request's body. `message` is the platform's own (Spring
    Boot's `message`), shown to the user; `field` is the member it names, when it names one
    of those sent (e.g. `mobileNumber`), else None."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__("the platform refused the request (400)")
        self.message = message
        self.field = field


class PlatformUnavailable(PlatformError):
    """The platform could not be reached, timed out, or answered with a server error (5xx)."""


class UnusableAnswer(PlatformError):
    """A successful answer the portal cannot use: not JSON, or a member missing, of the wrong
    type or out of bounds. The message names the endpoint, never the body's values."""
