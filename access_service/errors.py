"""OAuth 2.0 errors as Spring Security OAuth2 2.4.0 reports them, and the error page."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template
from flask_wtf.csrf import CSRFError

# Token responses carry credentials: no cache may keep them (RFC 6749 section 5.1).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    """An OAuth error with Spring's status, `error` code and `error_description`.

    A 401 carries `WWW-Authenticate`, as `DefaultWebResponseExceptionTranslator` sets it:
    `Bearer error="...", error_description="..."`. When `realm` is given the challenge is the one
    `OAuth2AuthenticationEntryPoint.enhanceResponse` builds: `Bearer realm="<realm>", error=...`.
    (A failed client authentication is not an OAuthError: see `access_service.client_auth`.)
    """

    def __init__(
        self,
        status: int,
        error: str,
        description: str,
        *,
        realm: str | None = None,
        **extra: str,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.realm = realm
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON error body: error, error_description and any extra fields."""
        return {"error": self.error, "error_description": self.description, **self.extra}

    def summary(self) -> str:
        """`OAuth2Exception.getSummary()`: `error="...", error_description="..."` and extras."""
        return ", ".join(f'{key}="{value}"' for key, value in self.body().items())

    def challenge(self) -> str:
        """The WWW-Authenticate value of this error."""
        realm = f'realm="{self.realm}", ' if self.realm else ""
        return f"Bearer {realm}{self.summary()}"

    def response(self) -> Response:
        """This error as a JSON response that no cache keeps."""
        response = jsonify(self.body())
        response.status_code = self.status
        response.headers.update(NO_STORE)
        if self.status == 401:
            response.headers["WWW-Authenticate"] = self.challenge()
        return response


def invalid_request(description: str) -> OAuthError:
    """400 invalid_request."""
    return OAuthError(400, "invalid_request", description)


def invalid_grant(description: str) -> OAuthError:
    """400 invalid_grant."""
    return OAuthError(400, "invalid_grant", description)


def invalid_client(description: str) -> OAuthError:
    """401 invalid_client (`WWW-Authenticate: Bearer error="invalid_client", ...`)."""
    return OAuthError(401, "invalid_client", description)


def bare_redirect(location: str, status: int) -> Response:
    """A redirect with no body and no Content-Type, as Spring's `RedirectView` and Tomcat's
    `sendRedirect` (behind `LoginUrlAuthenticationEntryPoint`) answer."""
    response = Response(status=status, headers={"Location": location})
    del response.headers["Content-Type"]
    return response


def error_page(error: str, description: str, status: int = 400) -> tuple[str, int]:
    """The HTML error page, for errors that must never redirect (unknown client, bad URI).

    Spring's `WhitelabelErrorEndpoint` shows the error's summary, HTML-escaped (Jinja escapes).
    """
    summary = OAuthError(status, error, description).summary()
    page = render_template("error.html", error=error, description=description, summary=summary)
    return page, status


def register_error_handlers(app: Flask) -> None:
    """Render OAuth errors as JSON and a failed CSRF check as the error page."""
    app.register_error_handler(OAuthError, lambda exc: exc.response())

    @app.errorhandler(CSRFError)
    def csrf_failed(exc: CSRFError) -> tuple[str, int]:
        """The form's CSRF token was missing, expired or wrong (a forged cross-site post)."""
        return error_page("invalid_request", exc.description or "The form has expired.")
