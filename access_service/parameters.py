"""Request parameters as the platform's servlet container reads them.

Spring Boot forces UTF-8 on every request (`CharacterEncodingFilter`, Boot's
`server.servlet.encoding.force-request` default) and Tomcat replaces bytes that are not UTF-8
with U+FFFD, so a form body declaring `charset=ISO-8859-1`, or any percent-escape that is not
UTF-8, reads the same there as here. `ServletRequest.getParameter` gives the first value of a
name, query string before form body (Spring's `request.getParameterMap()` order).
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from flask import request

FORM = "application/x-www-form-urlencoded"


def _decode(raw: bytes) -> str:
    return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8", errors="replace")


def _pairs(encoded: bytes) -> list[tuple[str, str]]:
    pairs = []
    for part in encoded.split(b"&"):
        if part:
            name, _, value = part.partition(b"=")
            pairs.append((_decode(name), _decode(value)))
    return pairs


def query_parameters() -> dict[str, str]:
    """The query string's parameters, each name's first value."""
    return _first(_pairs(request.query_string))


def parameters() -> dict[str, str]:
    """The query string's and, for a form post, the body's parameters; each name's first value
    (a JSON or other body is not read, as on the platform)."""
    pairs = _pairs(request.query_string)
    if request.mimetype == FORM:
        # Kept (cache=True), so that Flask can still parse the form from it afterwards; the
        # endpoints that read parameters read them here only, before anything parses the form.
        pairs += _pairs(request.get_data(cache=True))
    return _first(pairs)


def _first(pairs: list[tuple[str, str]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in pairs:
        found.setdefault(name, value)
    return found
