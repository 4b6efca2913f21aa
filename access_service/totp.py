"""Authenticator codes (RFC 6238 TOTP: HMAC-SHA1, 6 digits, 30-second steps) via pyotp.

A code is accepted one step either side of now (clock drift, RFC 6238 section 5.2) and only once:
the step last used is kept in the store, so a code seen over someone's shoulder cannot be
replayed, not even within its 30 seconds.
"""

from __future__ import annotations

import hmac

import pyotp

from .store import Store

STEP = 30
DRIFT_STEPS = 1


def verify_code(store: Store, username: str, secret: str, code: str, now: float) -> bool:
    """Whether code is the user's current code and was not used before; marks it used."""
    totp = pyotp.TOTP(secret, interval=STEP)
    last = (store.get(f"totp-step:{username}") or {}).get("step", -1)
    current = int(now // STEP)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if step > last and hmac.compare_digest(totp.generate_otp(step), code):
            store.put(f"totp-step:{username}", {"step": step}, STEP * (2 * DRIFT_STEPS + 2))
            return True
    return False
