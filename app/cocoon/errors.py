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
    """The access-service refused this portal itself: its client credentials
    (`invalid_client`, Spring's Basic-auth `unauthorized`), a grant type it is not registered
    for (`unauthorized_client`), or an endpoint URL that is not the access-service's. Only the
    operator can fix it; signing users out would not help."""


class InvalidTokenResponse(AccessServiceError):
    """A successful answer from the token endpoint that the portal cannot use: not a JSON
    object, or a member that is missing, of the wrong type, or absurd (RFC 6749 section 5.1).
    The message names the member, never its value (it may be a secret)."""


class AccessServiceUnavailable(AccessServiceError):
    """The access-service could not be reached, timed out, or answered with a server error."""


# OAuth error codes that mean the client, not the user, was refused (RFC 6749 section 5.2;
# `unauthorized` is Spring Security's answer to bad Basic client credentials).
CLIENT_ERRORS = frozenset({"invalid_client", "unauthorized_client", "unauthorized"})


def refused(error: str, description: str | None, status: int | None) -> AccessServiceError:
    """The exception for an OAuth error body: the client's fault or the user's grant's."""
    if error in CLIENT_ERRORS:
        return ClientConfigurationError(error, description, status)
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
