"""Keyed references: what stands for a refresh token or a user name in a Redis key, and for a
session id in a form, so that none of them is written where it could be read.

A reference is an HMAC-SHA256 of the value under a key derived from SECRET_KEY, cut to its first
128 bits and written in urlsafe base64 (22 characters). Cut there it is still safe as a name:
without the key nobody can compute one, nor choose values whose references collide (HMAC is a
pseudorandom function), and by chance any two of a billion references collide with a
probability of about 2^-69.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

BITS = 128


def reference(key: bytes, value: str) -> str:
    """value's keyed reference: 22 characters of urlsafe base64 (no padding)."""
    digest = hmac.new(key, value.encode(), hashlib.sha256).digest()[: BITS // 8]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
