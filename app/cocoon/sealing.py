"""Tokens at rest: compressed, then sealed with AES-256-GCM before they reach Redis.

A Redis dump, backup or replica then reveals no token. Several keys are accepted so they can
be rotated: the first seals, any of them opens. Raw bytes rather than Fernet's base64 keep a
session about the size of the token itself (Fernet would add 37%).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import zlib
from collections.abc import Sequence

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.cocoon.tokens import TokenSet

VERSION = b"\x01"
NONCE_BYTES = 12
# Binds ciphertexts to their purpose: a sealed token set cannot be replayed as anything else.
ASSOCIATED_DATA = b"cocoon-portal token set v1"


class SealError(Exception):
    """A sealed token set could not be opened (wrong key, tampered, or not ours)."""


def derive_key(secret_key: str) -> bytes:
    """A 32-byte sealing key derived from SECRET_KEY, for when no TOKEN_ENCRYPTION_KEYS are set."""
    hkdf = HKDF(algorithm=SHA256(), length=32, salt=None, info=b"cocoon-portal token sealing")
    return hkdf.derive(secret_key.encode())


def _pack_jwt(token: str) -> str | list[bytes]:
    """A JWT as its three decoded parts: base64 hides the JSON's redundancy from zlib, so this
    keeps a sealed token at about a third of the token's size. Anything else stays a string."""
    parts = token.split(".")
    if len(parts) != 3:
        return token
    try:
        raw = [base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)) for part in parts]
    except (ValueError, binascii.Error):
        return token
    return raw if _unpack_jwt(raw) == token else token  # only when it round-trips exactly


def _unpack_jwt(packed: str | list[bytes]) -> str:
    if isinstance(packed, str):
        return packed
    return ".".join(base64.urlsafe_b64encode(part).rstrip(b"=").decode() for part in packed)


def _key_id(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()[:4]


class TokenSealer:
    """Seals and opens TokenSets with the first of `keys`, opening with any of them."""

    def __init__(self, keys: Sequence[bytes]):
        if not keys:
            raise ValueError("at least one key is needed")
        self._sealing_id = _key_id(keys[0])
        self._ciphers = {_key_id(key): AESGCM(key) for key in keys}
        self._encoder = msgspec.msgpack.Encoder()
        self._decoder = msgspec.msgpack.Decoder(dict)

    def seal(self, tokens: TokenSet) -> bytes:
        """version | key id | nonce | AES-GCM(zlib(msgpack(tokens)))."""
        data = tokens.to_dict()
        data["access_token"] = _pack_jwt(tokens.access_token)
        plaintext = zlib.compress(self._encoder.encode(data), 6)
        nonce = os.urandom(NONCE_BYTES)
        cipher = self._ciphers[self._sealing_id]
        return (
            VERSION + self._sealing_id + nonce + cipher.encrypt(nonce, plaintext, ASSOCIATED_DATA)
        )

    def open(self, sealed: bytes) -> TokenSet:
        """The TokenSet inside `sealed`, or SealError."""
        if not isinstance(sealed, bytes) or sealed[:1] != VERSION:
            raise SealError("not a sealed token set")
        key_id, nonce = sealed[1:5], sealed[5 : 5 + NONCE_BYTES]
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise SealError("sealed with a key that is no longer configured")
        try:
            plaintext = cipher.decrypt(nonce, sealed[5 + NONCE_BYTES :], ASSOCIATED_DATA)
            data = self._decoder.decode(zlib.decompress(plaintext))
            data["access_token"] = _unpack_jwt(data["access_token"])
            return TokenSet.from_dict(data)
        except (
            InvalidTag,
            zlib.error,
            msgspec.DecodeError,
            TypeError,
            KeyError,
            ValueError,
        ) as exc:
            raise SealError(f"cannot open sealed token set ({type(exc).__name__})") from None
