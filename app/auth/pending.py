"""Sign-ins in progress: what /login must hand to /authcallback, kept in this browser's session.

Each sign-in gets a fresh `state` (RFC 6749 section 10.12: binds the callback to the browser
that started it, stopping login CSRF and code injection) and a PKCE verifier (RFC 7636: a
stolen code is useless without it). Both stay on the server, in the session, keyed by state so
that several tabs can sign in at once; the browser only carries the state through the
access-service. Each is single use and expires after an hour.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from authlib.common.security import generate_token
from flask import session

from app.components import components

PENDING = "sign_ins"
STATE = re.compile(r"[A-Za-z0-9_-]{32,128}")  # what `start` issues; anything else is not ours
MAX_AGE = 3600.0  # seconds a sign-in may take
MAX_PENDING = 5  # tabs signing in at once; the oldest is dropped beyond that


@dataclass(frozen=True)
class PendingSignIn:
    """One sign-in in progress: where it calls back, its PKCE verifier and where to go next.

    `started_at` is in epoch seconds.
    """

    redirect_uri: str
    code_verifier: str
    next: str
    started_at: float


def start(redirect_uri: str, next_path: str) -> tuple[str, PendingSignIn]:
    """Record a new sign-in in the session; returns its state and what was recorded."""
    now = components().clock()
    state = generate_token(43)
    pending = PendingSignIn(redirect_uri, generate_token(48), next_path, now)
    entries = {
        key: value
        for key, value in session.get(PENDING, {}).items()
        if now - value["started_at"] < MAX_AGE
    }
    entries[state] = asdict(pending)
    session[PENDING] = dict(list(entries.items())[-MAX_PENDING:])
    return state, pending


def take(state: str) -> PendingSignIn | None:
    """The sign-in `state` names, removed from the session (single use whatever follows);
    None for a missing, forged, expired, replayed or another browser's state."""
    if not STATE.fullmatch(state):
        return None
    entries = dict(session.get(PENDING, {}))
    found = entries.pop(state, None)
    if found is None:
        return None
    if entries:
        session[PENDING] = entries
    else:  # nothing left to keep: a signed-in session carries no empty entry
        session.pop(PENDING)
    pending = PendingSignIn(**found)
    if components().clock() - pending.started_at >= MAX_AGE:
        return None
    return pending
