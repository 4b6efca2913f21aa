"""One HTTP exchange with the user API, and what its status means (for app/cocoon/api.py).

Kept apart from the calls so that api.py reads as the list of endpoints. Nothing here logs a
token or a body: a log line names the call's method and template, the status and the time.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote, unquote

import msgspec
import requests

from app.cocoon.errors import (
    NotASegment,
    NotFound,
    NotPermitted,
    PlatformUnavailable,
    Rejected,
    UnusableAnswer,
)

log = logging.getLogger("app.cocoon.api")

MAX_BODY_BYTES = 1024 * 1024  # no answer of the user API comes near this
MAX_MESSAGE = 500  # characters of a 400's message shown to the user


@dataclass(frozen=True)
class Call:
    """One request to the user API: `method`, `path` under /api/v1, `template` (the same path
    with its ids as `{names}`, for logs and error messages) and an optional JSON `body`."""

    method: str
    path: str
    template: str
    body: msgspec.Struct | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.template}"

    @classmethod
    def to(
        cls, method: str, template: str, body: msgspec.Struct | None = None, **segments: str
    ) -> Call:
        """The call to `template` with each `{name}` replaced by segments[name] as exactly one
        path segment (path_segment). Raises NotASegment before any call; KeyError for a
        `{name}` without a value, ValueError for a value without its `{name}`."""
        path = template
        for name, value in segments.items():
            if "{" + name + "}" not in path:
                raise ValueError(f"{{{name}}} is not in {template}")
            path = path.replace("{" + name + "}", path_segment(value))
        if "{" in path:
            raise KeyError(f"a {{name}} of {template} has no value")
        return cls(method, path, template, body)


MAX_SEGMENT = 256  # characters of a value placed in a path; no platform id comes near it
MAX_DECODINGS = 4  # a value still changing after this many decodings is refused
_DOT_SEGMENTS = (".", "..")


def path_segment(value: str) -> str:
    """`value` percent-encoded as exactly one path segment of a platform URL (RFC 3986 section
    3.3: every character but the unreserved ones encoded, `/` included).

    Raises NotASegment for what some server or client on the way could read as another path:
    empty or over MAX_SEGMENT characters; `.` or `..` (RFC 3986 section 5.2.4 removes them, and
    HTTP clients do) as they are, percent-encoded once or several times (`%2e`, `%252e%252e`),
    or before a `;` (`..;`, which Tomcat reads as `..`); a slash or backslash, raw or encoded;
    any control character. The decoded forms are checked because servers and proxies decode.
    """
    if not isinstance(value, str) or not 0 < len(value) <= MAX_SEGMENT:
        raise NotASegment("an empty or over-long value cannot be a path segment")
    forms = [value]
    while len(forms) <= MAX_DECODINGS and (decoded := unquote(forms[-1])) != forms[-1]:
        forms.append(decoded)
    if unquote(forms[-1]) != forms[-1]:
        raise NotASegment("a value encoded too many times cannot be a path segment")
    for form in forms:
        if not form or form.split(";", 1)[0].strip() in _DOT_SEGMENTS:
            raise NotASegment("a dot segment cannot name a resource")
        if "/" in form or "\\" in form or any(unicodedata.category(c) == "Cc" for c in form):
            raise NotASegment("a slash or a control character cannot be in a path segment")
    return quote(value, safe="")


class ErrorBody(msgspec.Struct):
    """What a 400 says: Spring Boot's `message`, or OAuth's `error_description`."""

    message: str | None = None
    error_description: str | None = None


def send(
    http: requests.Session, url: str, call: Call, token: str, timeout: tuple[float, float]
) -> tuple[int, bytes]:
    """Make one exchange; its status and body. Raises PlatformUnavailable (timed out,
    unreachable) or UnusableAnswer (a body over MAX_BODY_BYTES)."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    data = None
    if call.body is not None:
        headers["Content-Type"] = "application/json"
        data = msgspec.json.encode(call.body)
    started = time.perf_counter()
    try:
        with http.request(
            call.method,
            url,
            data=data,
            headers=headers,
            timeout=timeout,
            allow_redirects=False,
            stream=True,
        ) as response:
            status, body = response.status_code, read_body(response, call)
    except requests.Timeout:
        raise PlatformUnavailable(f"{call} timed out") from None
    except requests.RequestException as exc:
        raise PlatformUnavailable(f"{call}: {type(exc).__name__}") from None
    duration_ms = round((time.perf_counter() - started) * 1000, 2)
    log.info(
        "user API call",
        extra={"event": "platform_call", "call": str(call), "status": status, "ms": duration_ms},
    )
    return status, body


def read_body(response: requests.Response, call: Call) -> bytes:
    """The body; UnusableAnswer past MAX_BODY_BYTES."""
    body = b""
    for chunk in response.iter_content(64 * 1024):
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise UnusableAnswer(f"{call}: the answer is too large")
    return body


def check_status(call: Call, status: int, body: bytes) -> None:
    """Raise what a status other than 2xx means (401 is the caller's to handle): NotPermitted
    (403), NotFound (404), Rejected (400), PlatformUnavailable (5xx, 429), UnusableAnswer."""
    if 200 <= status < 300:
        return
    if status == 403:
        raise NotPermitted(f"{call}: 403")
    if status == 404:
        raise NotFound(f"{call}: 404")
    if status == 400:
        message = error_message(body)
        raise Rejected(message, named_member(message, call.body))
    if status >= 500 or status == 429:
        raise PlatformUnavailable(f"{call}: HTTP {status}")
    raise UnusableAnswer(f"{call}: HTTP {status}")


def error_message(body: bytes) -> str:
    """A 400's message for people: printable characters, at most MAX_MESSAGE of them."""
    try:
        error = msgspec.json.decode(body, type=ErrorBody)
    except msgspec.DecodeError:
        error = ErrorBody()
    text = error.message or error.error_description or "The platform refused the change."
    return "".join(c for c in text if c.isprintable())[:MAX_MESSAGE]


def named_member(message: str, body: msgspec.Struct | None) -> str | None:
    """The member of `body` (by its name on the wire) that `message` names first, if any."""
    if body is None:
        return None
    names = [info.encode_name for info in msgspec.structs.fields(body)]
    found = [(m.start(), name) for name in names if (m := re.search(rf"\b{name}\b", message))]
    return min(found)[1] if found else None


def decode(call: Call, body: bytes, answer: type) -> object:
    """The body as `answer`, decoded strictly; UnusableAnswer naming where, never a value."""
    try:
        return msgspec.json.decode(body, type=answer)
    except msgspec.DecodeError as exc:  # ValidationError too
        where = re.search(r"at `[^`]*`", str(exc))
        raise UnusableAnswer(f"{call}: {where.group(0) if where else 'not JSON'}") from None
