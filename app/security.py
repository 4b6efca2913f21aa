"""Web security controls: safe `next`, response headers, HTTPS, and the trusted TLS proxy."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Flask, redirect, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

# Any control character, whitespace or backslash: browsers "repair" these into other URLs
# (`/\evil.com` and `/\t/evil.com` both become `//evil.com`), so a `next` holding one is refused.
_UNSAFE_CHARS = re.compile(r"[\x00-\x20\x7f\\]")
MAX_NEXT_LENGTH = 2048
CSRF_FIELD = "csrf_token"  # flask-wtf's session key and form field


def safe_next(value: Any) -> str | None:
    """`value` if it is a path on this portal, else None. Stops open redirects."""
    if not isinstance(value, str) or not value or len(value) > MAX_NEXT_LENGTH:
        return None
    decoded = unquote(value)
    for candidate in (value, decoded):
        if _UNSAFE_CHARS.search(candidate):
            return None
        # A path, not `//host` (scheme-relative) nor `/%2F/host` once decoded.
        if not candidate.startswith("/") or candidate.startswith("//"):
            return None
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return None
    return value


# Nothing from elsewhere: no CDN, no inline script, no framing (stops clickjacking), no
# <base> or plugin tricks, forms post only here.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


SECURITY_HEADERS = [
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
]
# Browsers then refuse plain http for two years: no SSL-stripping on later visits.
HSTS = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
# Pages are drawn from the session: never kept by the browser or a shared cache. Responses that
# say otherwise (static files) keep their own Cache-Control.
NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]
# The callback URL holds the code and state: never send it on as a Referer. Elsewhere the
# Referer stays on this site (flask-wtf checks it on HTTPS form posts such as sign-out).
CALLBACK_PATH = "/authcallback"


class SecurityHeaders:
    """WSGI middleware: the headers every response carries, error pages included.

    Added to the header list as the response starts: they are the same for every page, and
    appending a list costs far less than setting them one by one on each Flask response (6% of a
    signed-in page, measured in-process). A view must not set these headers itself.
    """

    def __init__(self, wsgi_app: Any, production: bool):
        self.wsgi_app = wsgi_app
        common = SECURITY_HEADERS + ([HSTS] if production else [])
        self.for_pages = [*common, ("Referrer-Policy", "same-origin")]
        self.for_callback = [*common, ("Referrer-Policy", "no-referrer")]

    def __call__(self, environ: dict, start_response: Any) -> Any:
        extra = self.for_callback if environ.get("PATH_INFO") == CALLBACK_PATH else self.for_pages

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.extend(extra)
            if not any(name.lower() == "cache-control" for name, _ in headers):
                headers.extend(NO_STORE)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def redirect_to_https() -> Response | None:
    """In production, send a request that arrived over plain http to https. Probes and the
    metrics scraper are excepted: they reach an instance directly, over http."""
    if request.scheme == "https" or request.path in ("/healthz", "/readyz", "/metrics"):
        return None
    return redirect(request.url.replace("http://", "https://", 1), code=308)


class TrustedProxyFix:
    """Honour X-Forwarded-* only from the configured proxies (stops spoofed client addresses
    and schemes); strip them from anyone else."""

    FORWARDED = (
        "HTTP_X_FORWARDED_FOR",
        "HTTP_X_FORWARDED_PROTO",
        "HTTP_X_FORWARDED_HOST",
        "HTTP_X_FORWARDED_PORT",
        "HTTP_X_FORWARDED_PREFIX",
    )

    def __init__(self, wsgi_app: Any, trusted: Iterable[str], hops: int = 1):
        self.wsgi_app = wsgi_app
        self.trust_all = "*" in trusted
        self.networks = [
            ipaddress.ip_network(item, strict=False) for item in trusted if item != "*"
        ]
        self.proxied = ProxyFix(wsgi_app, x_for=hops, x_proto=hops)

    @lru_cache(maxsize=1024)  # noqa: B019 (one instance per app; a proxy has few addresses)
    def _trusted(self, address: str | None) -> bool:
        if self.trust_all:
            return True
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def __call__(self, environ: dict, start_response: Any) -> Any:
        if self._trusted(environ.get("REMOTE_ADDR")):
            return self.proxied(environ, start_response)
        for key in self.FORWARDED:
            environ.pop(key, None)
        return self.wsgi_app(environ, start_response)


def init_app(app: Flask, production: bool, trusted_proxies: Iterable[str], hops: int) -> None:
    """Install the proxy fix, the HTTPS redirect and the headers on app."""
    app.wsgi_app = SecurityHeaders(app.wsgi_app, production)  # type: ignore[method-assign]
    app.wsgi_app = TrustedProxyFix(app.wsgi_app, list(trusted_proxies), hops)  # type: ignore[method-assign]
    if production:
        app.before_request(redirect_to_https)
