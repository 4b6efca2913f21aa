"""PKCE (RFC 7636): the S256 code challenge that binds a code to the client that asked for it.

The platform itself (Spring Security OAuth2 2.x) has no PKCE; the emulator accepts it as newer
servers do, because it stops a stolen authorization code from being redeemed by anyone else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

# 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~" (RFC 7636 section 4.1).
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
# base64url(SHA-256) without padding is always exactly 43 characters.
_S256_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")
SUPPORTED_METHODS = ("S256",)


def is_valid_challenge(challenge: str) -> bool:
    """Whether challenge looks like an S256 code challenge."""
    return _S256_CHALLENGE.fullmatch(challenge) is not None


def s256(verifier: str) -> str:
    """The S256 code challenge of verifier."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verifier_matches(verifier: str, challenge: str) -> bool:
    """Whether verifier is well formed and hashes to challenge."""
    if _VERIFIER.fullmatch(verifier) is None:
        return False
    return hmac.compare_digest(s256(verifier), challenge)
