"""Sign-ins in progress: what /login must hand to /authcallback, one Redis entry each.

Each sign-in gets a fresh `state` (RFC 6749 section 10.12: binds the callback to the browser
that started it, stopping login CSRF and code injection) and a PKCE verifier (RFC 7636: a
stolen code is useless without it). Both stay on the server, in an entry of their own
(`portal:sign-in:<reference>`, msgpack, gone after MAX_AGE); the browser carries the state
through the access-service, and a cookie of this sign-in's own (named after its state, as
oauth2-proxy's per-request CSRF cookies are) holds the random nonce that, with the state, names
the entry. Nothing is written to the session: several tabs signing in at once (a restored
browser) each keep their own sign-in, where writes of one session would overwrite each other.
Each is single use (GETDEL) and expires after an hour; a browser keeps at most MAX_PENDING
(its oldest sign-in cookies are dropped beyond that).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass

import msgspec
from authlib.common.security import generate_token
from flask import after_this_request, request
from werkzeug.wrappers import Response

from app.components import components
from app.sessions.references import reference

KEY_PREFIX = "portal:sign-in:"
STATE = re.compile(r"[A-Za-z0-9_-]{32,128}")  # what `start` issues; anything else is not ours
MAX_AGE = 3600  # seconds a sign-in may take
MAX_PENDING = 5  # sign-ins one browser may have in progress; the oldest is dropped beyond that
_ENCODER = msgspec.msgpack.Encoder()


@dataclass(frozen=True)
class PendingSignIn:
    """One sign-in in progress: where it calls back, its PKCE verifier and where to go next.

    `started_at` is in epoch seconds.
    """

    redirect_uri: str
    code_verifier: str
    next: str
    started_at: float


def cookie_prefix() -> str:
    """`__Host-` in production (Secure, Path=/, no Domain: no other site can plant it)."""
    return "__Host-sign-in-" if components().settings.production else "portal_sign_in_"


def cookie_name(state: str) -> str:
    """The name of the cookie of the sign-in `state` names (16 characters of its SHA-256)."""
    digest = hashlib.sha256(state.encode()).hexdigest()[:16]
    return cookie_prefix() + digest


def _key(state: str, nonce: str) -> str:
    return KEY_PREFIX + reference(components().reference_key, f"sign-in {nonce} {state}")


def start(redirect_uri: str, next_path: str) -> tuple[str, PendingSignIn]:
    """Record a new sign-in; returns its state and what was recorded. Its cookie is set on
    this request's response, and the browser's oldest sign-in cookies beyond MAX_PENDING are
    deleted there. Raises any of REDIS_DOWN."""
    parts = components()
    now = parts.clock()
    state, nonce = generate_token(43), generate_token(22)
    pending = PendingSignIn(redirect_uri, generate_token(48), next_path, now)
    parts.redis.set(_key(state, nonce), _ENCODER.encode(asdict(pending)), ex=MAX_AGE)
    prefix = cookie_prefix()
    others = sorted(
        (_started(value), name)
        for name, value in request.cookies.items()
        if name.startswith(prefix)
    )
    dropped = [name for _, name in others[: max(0, len(others) - MAX_PENDING + 1)]]

    def set_cookies(response: Response) -> Response:
        options = _cookie_options()
        response.set_cookie(
            cookie_name(state), f"{nonce}.{int(now * 1e6)}", max_age=MAX_AGE, **options
        )
        for name in dropped:
            response.delete_cookie(name, **options)
        return response

    after_this_request(set_cookies)
    return state, pending


def take(state: str) -> PendingSignIn | None:
    """The sign-in `state` names, removed (single use whatever follows) with its cookie; None
    for a missing, forged, expired, replayed or another browser's state. Raises any of
    REDIS_DOWN."""
    if not STATE.fullmatch(state):
        return None
    name = cookie_name(state)
    value = request.cookies.get(name)
    if value is None:
        return None

    def delete_cookie(response: Response) -> Response:
        response.delete_cookie(name, **_cookie_options())
        return response

    after_this_request(delete_cookie)
    raw = components().redis.getdel(_key(state, value.split(".", 1)[0]))
    if not isinstance(raw, bytes):  # none (used, expired, another browser's), or not ours
        return None
    try:
        pending = msgspec.msgpack.decode(raw, type=PendingSignIn)
    except msgspec.DecodeError:  # not written by `start`
        return None
    return pending if _fresh(pending) else None


def _fresh(pending: PendingSignIn) -> bool:
    return components().clock() - pending.started_at < MAX_AGE


def _started(value: str) -> int:
    """When a sign-in cookie's sign-in started (epoch microseconds; 0 when unreadable)."""
    started = value.rpartition(".")[2]
    return int(started) if started.isdigit() else 0


def _cookie_options() -> dict:
    production = components().settings.production
    # SameSite=Lax: sent when the access-service sends the browser back (a top-level GET).
    return {"secure": production, "httponly": True, "samesite": "Lax", "path": "/"}
