"""Web security controls: safe `next`, response headers, HTTPS, and the trusted TLS proxy."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit

from flask import Flask, redirect, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from config import Settings
from config.limits import MAX_URL_TARGET

# What browsers "repair" into another URL: a backslash reads as a slash and tabs, newlines and
# leading spaces are dropped (WHATWG URL parsing), so `/\\evil.com` and `/\t/evil.com` both
# become `//evil.com`. None of these may appear in the path of a `next` as it is, and no
# control character or backslash once it is decoded (a server that decodes would repair them).
_UNSAFE_IN_PATH = re.compile(r"[\x00-\x20\x7f\\]")
_UNSAFE_DECODED = re.compile(r"[\x00-\x1f\x7f\\]")
# Control characters anywhere (CR/LF would also split the Location header).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_PATH_LENGTH = 2048  # a longer path is no page of this portal
# Characters a path, query or fragment may hold as they are (RFC 3986 pchar, "/", "?", and
# "%" so that what is already encoded stays as it is); anything else is percent-encoded.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?#"
CSRF_FIELD = "csrf_token"  # flask-wtf's session key and form field


def safe_next(value: Any) -> str | None:
    """`value` as a URL path on this portal to return to after sign-in, else None.

    Stops open redirects: the checks are about where the browser goes (no scheme, no host,
    a path that starts with one slash, raw or decoded once), not about what a query string
    carries. The query and fragment are kept whole; characters a URL may not hold as they are
    (a raw space, non-ASCII) are percent-encoded. None for anything that is not a str, an
    empty or over-long value, or one with control characters.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_URL_TARGET:
        return None
    if _CONTROL.search(value):
        return None
    cut = min((i for i in (value.find("?"), value.find("#")) if i >= 0), default=len(value))
    path, rest = value[:cut], value[cut:]
    if len(path) > MAX_PATH_LENGTH:
        return None
    for candidate, unsafe in ((path, _UNSAFE_IN_PATH), (unquote(path), _UNSAFE_DECODED)):
        if unsafe.search(candidate):
            return None
        # A path, not `//host` (scheme-relative) nor `/%2F/host` once decoded.
        if not candidate.startswith("/") or candidate.startswith("//"):
            return None
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return None
    return quote(path, safe=_PATH_SAFE) + quote(rest, safe=_QUERY_SAFE)


def origin(url: str) -> str:
    """scheme://host[:port] of url, lower-cased, without a default port."""
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    host = (parts.hostname or "").lower()
    host = f"[{host}]" if ":" in host else host
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme}://{host}{port}"


def request_target() -> str:
    """This request's path and query, encoded as the browser sent them (for a `next`)."""
    path = quote(request.script_root + request.path, safe=_PATH_SAFE)
    query = request.query_string.decode("latin-1")
    return f"{path}?{query}" if query else path


def url_with_next(base: str, next_path: str | None) -> str:
    """`base?next=...` keeping next whole when the URL fits what the portal's own server
    accepts (config/limits.py), else next without its query, else no next at all."""
    if not next_path:
        return base
    for candidate in (next_path, next_path.split("?", 1)[0].split("#", 1)[0]):
        url = f"{base}?{urlencode({'next': candidate})}"
        parts = urlsplit(url)
        if len(parts.path) + 1 + len(parts.query) <= MAX_URL_TARGET:
            return url
    return base


def content_security_policy(form_targets: Iterable[str] = ()) -> str:
    """Nothing from elsewhere: no CDN, no inline script, no framing (stops clickjacking), no
    <base> or plugin tricks. Forms post only here, and may end in a redirect only to
    `form_targets` (origins): browsers apply form-action to the redirects that follow a form's
    POST, such as sign-out's to the platform's sign-out endpoint (COCOON_LOGOUT_URL)."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            " ".join(["form-action 'self'", *form_targets]),
            "frame-ancestors 'none'",
        ]
    )


SECURITY_HEADERS = [
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
# Referer stays on this site; no form needs one (app/web/form_sites.py checks Origin instead).
CALLBACK_PATH = "/authcallback"


class SecurityHeaders:
    """WSGI middleware: the headers every response carries, error pages included.

    Added to the header list as the response starts: they are the same for every page, and
    appending a list costs far less than setting them one by one on each Flask response (6% of a
    signed-in page, measured in-process). A view must not set these headers itself.
    """

    def __init__(self, wsgi_app: Any, production: bool, form_targets: Iterable[str] = ()):
        self.wsgi_app = wsgi_app
        csp = ("Content-Security-Policy", content_security_policy(form_targets))
        common = [csp, *SECURITY_HEADERS, *([HSTS] if production else [])]
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


# Where one Cookie field ends and the next begins once a server has joined them with commas:
# a comma before a cookie name and `=` (RFC 6265 section 4.2.1: no cookie value holds a comma).
_JOINED_FIELD = re.compile(r",[ \t]*(?=[!#$%&'*+\-.^_`|~0-9A-Za-z]+=)")


class CookieFields:
    """WSGI middleware: a request's Cookie header fields read as one list of cookies.

    HTTP/2 lets a client or proxy send the cookies as several Cookie fields (RFC 9113 section
    8.2.3), and a proxy may forward them so over HTTP/1.1; gunicorn then joins them with a
    comma, as for any repeated field, while cookies are separated by `; ` (RFC 6265 section
    5.4): werkzeug would read the second field as part of the first's last value, and the
    session cookie would be lost (a valid user signed out). The joins are put back as `; `.
    """

    def __init__(self, wsgi_app: Any):
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Any) -> Any:
        cookie = environ.get("HTTP_COOKIE")
        if cookie and "," in cookie:
            environ["HTTP_COOKIE"] = _JOINED_FIELD.sub("; ", cookie)
        return self.wsgi_app(environ, start_response)


def redirect_to_https() -> Response | None:
    """In production, send a request that arrived over plain http to https. Probes and the
    metrics scraper are excepted: they reach an instance directly, over http."""
    if request.scheme == "https" or request.path in ("/healthz", "/readyz", "/metrics"):
        return None
    return redirect(request.url.replace("http://", "https://", 1), code=308)


class AddressAllowList:
    """Addresses and networks (CIDR) from a setting such as FORWARDED_ALLOW_IPS, parsed once;
    `*` allows any address."""

    def __init__(self, items: Iterable[str]):
        items = list(items)
        self.any = "*" in items
        self.networks = [ipaddress.ip_network(item, strict=False) for item in items if item != "*"]
        # A portal sees few distinct proxy and scraper addresses: remember the answers.
        self.allows = lru_cache(maxsize=1024)(self._allows)

    def _allows(self, address: str | None) -> bool:
        if self.any:
            return True
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(ip in network for network in self.networks)


class TrustedProxyFix:
    """Honour X-Forwarded-For, -Proto, -Host and -Port only from the proxies in
    FORWARDED_ALLOW_IPS, as werkzeug's ProxyFix reads them (the value `hops` from the right);
    strip them from anyone else (stops spoofed client addresses, schemes and host names, and
    with them redirect URIs built for another host). X-Forwarded-Prefix is never believed."""

    FORWARDED = (
        "HTTP_X_FORWARDED_FOR",
        "HTTP_X_FORWARDED_PROTO",
        "HTTP_X_FORWARDED_HOST",
        "HTTP_X_FORWARDED_PORT",
        "HTTP_X_FORWARDED_PREFIX",
    )

    def __init__(self, wsgi_app: Any, trusted: Iterable[str], hops: int = 1):
        self.wsgi_app = wsgi_app
        self.trusted = AddressAllowList(trusted)
        self.proxied = ProxyFix(wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)

    def __call__(self, environ: dict, start_response: Any) -> Any:
        if self.trusted.allows(environ.get("REMOTE_ADDR")):
            return self.proxied(environ, start_response)
        for key in self.FORWARDED:
            environ.pop(key, None)
        return self.wsgi_app(environ, start_response)


# Endpoints that change nothing, whatever the method: HEAD runs them as GET.
HEAD_RUNS_VIEW = frozenset(
    {"health.healthz", "health.readyz", "static", "metrics.metrics_endpoint"}
)


def head_changes_nothing() -> Response | None:
    """Answer HEAD on every other route without running its view (RFC 9110 section 9.3.2:
    HEAD is safe). A link checker or mail scanner that sends HEAD for a callback URL must not
    spend its code, start a sign-in or refresh a token: 200, no body, nothing done."""
    if request.method != "HEAD" or request.endpoint is None or request.endpoint in HEAD_RUNS_VIEW:
        return None
    return Response(status=200, content_type="text/html; charset=utf-8")


def init_app(app: Flask, settings: Settings) -> None:
    """Install the proxy fix, the Cookie fields' join, the HTTPS redirect, the HEAD guard and
    the headers on app."""
    form_targets = [origin(settings.logout_url)] if settings.logout_url else []
    app.wsgi_app = SecurityHeaders(  # type: ignore[method-assign]
        app.wsgi_app, settings.production, form_targets
    )
    app.wsgi_app = CookieFields(app.wsgi_app)  # type: ignore[method-assign]
    app.wsgi_app = TrustedProxyFix(  # type: ignore[method-assign]
        app.wsgi_app, list(settings.forwarded_allow_ips), settings.proxy_hops
    )
    if settings.production:
        app.before_request(redirect_to_https)
    app.before_request(head_changes_nothing)
