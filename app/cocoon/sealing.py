"""Tokens at rest: packed small (packing.py), then sealed with AES-256-GCM before they reach Redis.

A Redis dump, backup or replica then reveals no token. Several keys are accepted so they can
be rotated: the first seals, any of them opens. Raw bytes rather than Fernet's base64 keep a
session well under the size of the token itself (Fernet would add 37%).

A sealed set starts with its format's version: 2 seals what packing.pack makes (a release that
changes the format adds its version beside, so the sets already stored still open).
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Callable, Sequence

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.cocoon.packing import pack, unpack
from app.cocoon.tokens import TokenSet

VERSION = b"\x02"
NONCE_BYTES = 12
# Binds ciphertexts to their purpose and format: a sealed token set cannot be replayed as
# anything else, nor opened as another version.
ASSOCIATED_DATA = {b"\x02": b"cocoon-portal token set v2"}
UNPACK: dict[bytes, Callable[[bytes], TokenSet]] = {b"\x02": unpack}


class SealError(Exception):
    """A sealed token set could not be opened (wrong key, tampered, or not ours)."""


def derive_key(secret_key: str) -> bytes:
    """A 32-byte sealing key derived from SECRET_KEY, for when no TOKEN_ENCRYPTION_KEYS are set."""
    hkdf = HKDF(algorithm=SHA256(), length=32, salt=None, info=b"cocoon-portal token sealing")
    return hkdf.derive(secret_key.encode())


def _key_id(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()[:4]


class TokenSealer:
    """Seals and opens TokenSets with the first of `keys`, opening with any of them."""

    def __init__(self, keys: Sequence[bytes]):
        if not keys:
            raise ValueError("at least one key is needed")
        self._sealing_id = _key_id(keys[0])
        self._ciphers = {_key_id(key): AESGCM(key) for key in keys}

    def seal(self, tokens: TokenSet) -> bytes:
        """version | key id | nonce | AES-GCM(pack(tokens))."""
        nonce = os.urandom(NONCE_BYTES)
        cipher = self._ciphers[self._sealing_id]
        sealed = cipher.encrypt(nonce, pack(tokens), ASSOCIATED_DATA[VERSION])
        return VERSION + self._sealing_id + nonce + sealed

    def open(self, sealed: bytes) -> TokenSet:
        """The TokenSet inside `sealed` (of a version this release reads), or SealError."""
        version = sealed[:1] if isinstance(sealed, bytes) else b""
        if version not in UNPACK:
            raise SealError("not a sealed token set")
        key_id, nonce = sealed[1:5], sealed[5 : 5 + NONCE_BYTES]
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise SealError("sealed with a key that is no longer configured")
        try:
            packed = cipher.decrypt(nonce, sealed[5 + NONCE_BYTES :], ASSOCIATED_DATA[version])
            return UNPACK[version](packed)
        except (
            InvalidTag,
            zlib.error,
            msgspec.DecodeError,
            TypeError,
            KeyError,
            ValueError,
        ) as exc:
            raise SealError(f"cannot open sealed token set ({type(exc).__name__})") from None
