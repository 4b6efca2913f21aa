"""How each kind of setting is read from its text and checked.

A parser takes the variable's text (stripped, never empty) and returns the value, or raises
ValueError whose message says what is expected; config/settings.py names the variable.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from limits import parse_many

# RFC 6749 section 3.3: a scope token is printable ASCII without space, `"` or `\`.
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
# A DNS name (or a leading dot: every subdomain, as werkzeug's TRUSTED_HOSTS reads it).
LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
HOST_NAME = re.compile(rf"\.?{LABEL}(\.{LABEL})*")
QUOTES = ('"', "'")


class ConfigurationError(RuntimeError):
    """A setting is missing or cannot work; the message names it, on one line."""


def plain(raw: str) -> str:
    """The text itself, refusing what no setting can hold: control characters, and quotes around
    the whole value (docker's --env-file and compose's env_file keep them as part of it)."""
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in raw):
        raise ValueError("one line of text without control characters")
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in QUOTES:
        raise ValueError("written without quotes around it (env files keep them)")
    return raw


def text(raw: str) -> str:
    """Any text (already checked by plain())."""
    return raw


def word(raw: str) -> str:
    """Text without spaces: an identifier such as a client id."""
    if any(char.isspace() for char in raw):
        raise ValueError("a single word without spaces")
    return raw


def one_of(*choices: str, normalise: Callable[[str], str] = str.strip) -> Callable[[str], str]:
    """Exactly one of choices, once normalised (e.g. str.upper: case does not matter)."""

    def parse(raw: str) -> str:
        value = normalise(raw)
        if value not in choices:
            raise ValueError(f"one of {', '.join(choices)}")
        return value

    return parse


SWITCH = {"on": True, "true": True, "1": True, "yes": True}
SWITCH |= {"off": False, "false": False, "0": False, "no": False}


def switch(raw: str) -> bool:
    """on or off (also true/false, yes/no, 1/0; case does not matter)."""
    value = SWITCH.get(raw.strip().lower())
    if value is None:
        raise ValueError("on or off")
    return value


def seconds(raw: str) -> float:
    """A positive number of seconds."""
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("a positive number of seconds") from None
    if not 0 < value < float("inf"):
        raise ValueError("a positive number of seconds")
    return value


def whole_number(minimum: int) -> Callable[[str], int]:
    """A whole number, at least minimum."""

    def parse(raw: str) -> int:
        if not (raw.isascii() and raw.isdigit()) or int(raw) < minimum:
            raise ValueError(f"a whole number, at least {minimum}")
        return int(raw)

    return parse


def url(raw: str) -> str:
    """An absolute http(s) URL with a host, e.g. https://access-service.xy-company.com/path."""
    expected = "an absolute http:// or https:// URL such as https://host.example.com/path"
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 (raises ValueError for a port that is not one)
    except ValueError:
        raise ValueError(expected) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment:
        raise ValueError(expected)
    return raw


def base_url(raw: str) -> str:
    """An absolute http(s) URL without query, to put paths after (a trailing slash is dropped)."""
    value = url(raw)
    if urlsplit(value).query:
        raise ValueError("a base URL without a query, such as https://host.example.com")
    return value.rstrip("/")


def redis_url(raw: str) -> str:
    """redis://, rediss:// (TLS) or unix://, as redis-py reads them."""
    parts = urlsplit(raw)
    path = parts.path.strip("/")
    expected = "a Redis URL such as redis://host:6379/0 (or rediss:// for TLS, or unix://)"
    try:
        parts.port  # noqa: B018
    except ValueError:
        raise ValueError(expected) from None
    if parts.scheme == "unix" and parts.path:
        return raw
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ValueError(expected)
    if path and not (path.isascii() and path.isdigit()):
        raise ValueError(expected + ", the database a number")
    return raw


def _items(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def addresses(raw: str) -> tuple[str, ...]:
    """Comma-separated IP addresses or networks (CIDR), or `*` for any."""
    items = _items(raw)
    for item in items:
        if item != "*":
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError("comma-separated IP addresses or CIDR networks, or *") from None
    return tuple(items)


def host_names(raw: str) -> tuple[str, ...]:
    """Comma-separated host names, without scheme or port (`.example.com`: any subdomain)."""
    items = _items(raw)
    for item in items:
        if not (HOST_NAME.fullmatch(item) or _is_ip(item)):
            raise ValueError("comma-separated host names without scheme, port or path")
    return tuple(items)


def host_ports(raw: str) -> tuple[tuple[str, int], ...]:
    """Comma-separated host:port pairs."""
    result = []
    for item in _items(raw):
        host, _, port = item.rpartition(":")
        if not host or not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
            raise ValueError("comma-separated host:port pairs")
        result.append((host.strip("[]"), int(port)))
    return tuple(result)


def bind_address(raw: str) -> str:
    """host:port (a port from 1 to 65535) or unix:/path, as gunicorn's --bind reads it."""
    if raw.startswith("unix:") and len(raw) > 5:
        return raw
    host, _, port = raw.rpartition(":")
    if not host or not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
        raise ValueError("host:port, such as 127.0.0.1:5000 (or unix:/path)")
    return raw


def rate_limit(raw: str) -> str:
    """A rate in the `limits` library's notation (app/web/rate_limits.py counts it), such as
    60/minute, several separated by `;`, each above zero."""
    expected = "a rate such as 60/minute or 10/second;300/hour"
    try:
        limits = parse_many(raw)
    except ValueError:
        raise ValueError(expected) from None
    if not limits or any(limit.amount < 1 for limit in limits):
        raise ValueError(expected)
    return raw


def scope(raw: str) -> str:
    """Space-separated scope names (the platform splits on spaces only, not on commas)."""
    names = raw.split()
    if any("," in name or not SCOPE_TOKEN.fullmatch(name) for name in names):
        raise ValueError("space-separated scope names such as SCOPE_VIEW SCOPE_SHARE")
    return " ".join(names)


def encryption_keys(raw: str) -> tuple[bytes, ...]:
    """Comma-separated urlsafe-base64 keys of 32 bytes each; the first one seals."""
    keys = []
    for item in _items(raw):
        try:
            key = base64.urlsafe_b64decode(item + "=" * (-len(item) % 4))
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != 32:
            raise ValueError("comma-separated urlsafe-base64 keys of 32 bytes each")
        keys.append(key)
    return tuple(keys)


def directory(raw: str) -> str:
    """A directory path (created when missing); not an existing file."""
    if Path(raw).exists() and not Path(raw).is_dir():
        raise ValueError("the path of a directory (this one is a file)")
    return raw


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def is_loopback(host: str) -> bool:
    """Whether host is this machine: localhost, 127.0.0.0/8 or ::1."""
    if host == "localhost":
        return True
    return _is_ip(host) and ipaddress.ip_address(host).is_loopback
